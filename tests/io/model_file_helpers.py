"""What the tests of model files share: rewriting one entry of a file."""

import zipfile


def replace_entry(path, name, data):
    """Rewrite the model file at ``path`` with its entry ``name`` replaced by ``data``."""
    with zipfile.ZipFile(path) as archive:
        entries = {n: archive.read(n) for n in archive.namelist()}
    entries[name] = data
    with zipfile.ZipFile(path, "w") as archive:
        for entry, content in entries.items():
            archive.writestr(entry, content)
    return path
