// The playground's page: controls in, pictures out. The network lives on the server; this script
// sends the settings (kept in the URL) over a WebSocket and draws the frames that come back.
"use strict";

const FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"];
const ACTIVATIONS = ["tanh", "relu", "sigmoid", "leaky_relu", "softplus", "identity"];
const CLASS_COLOURS = ["#f28e2b", "#4e79a7", "#59a14f", "#e15759", "#b07aa1", "#76b7b2",
  "#edc948", "#9c755f"];
const POSITIVE = [238, 102, 119], NEGATIVE = [68, 119, 170]; // plots.plot_network's red and blue
const MAX_LAYERS = 6, MAX_NEURONS = 16;
const NUMBERS = ["noise", "points", "test", "classes", "dropout", "l2", "lr", "batch", "seed"];

const $ = (id) => document.getElementById(id);
let config = configFromUrl();
let data = null, frame = null, past = [], frameTimes = [];
let socket = null;
let fromDefaults = false; // the link's settings were refused: keep saying why

// --- settings <-> URL ----------------------------------------------------------------------

function configFromUrl() {
  const query = new URLSearchParams(location.search), c = {};
  for (const [key, text] of query) {
    if (NUMBERS.includes(key)) c[key] = Number(text);
    else if (key === "features" || key === "activation") c[key] = text ? text.split(",") : [];
    else if (key === "layers") c[key] = text ? text.split(",").map(Number) : [];
    else if (key === "data") c[key] = text ? text.split(";").map((p) => p.split(",").map(Number)) : [];
    else c[key] = text;
  }
  return c;
}

function urlOf(c) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(c)) {
    if (key === "data") {
      if (value.length) query.set(key, value.map((p) => p.join(",")).join(";"));
    } else query.set(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  return `${location.pathname}?${query}`;
}

// --- talking to the server ---------------------------------------------------------------------

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws`);
  socket.onopen = () => send({type: "config", config});
  socket.onmessage = (event) => receive(JSON.parse(event.data));
  socket.onclose = () => showError("The connection to the server closed; reload the page.");
}

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function receive(message) {
  if (message.type === "data") {
    data = message; frame = null; past = [];
    config = message.config;
    showConfig();
    window.history.replaceState(null, "", urlOf(config));
    if (!fromDefaults) showError("");
    fromDefaults = false;
    drawAll();
  } else if (message.type === "frame") {
    receiveFrame(message);
  } else if (message.type === "state") {
    $("play").disabled = message.playing;
    $("pause").disabled = !message.playing;
  } else if (message.type === "error") {
    showError(message.message);
    if (!data) { // a bad shared link: start from the defaults
      fromDefaults = true;
      send({type: "config", config: {}});
    } else if (config.dataset === "custom" && config.data.length < 2) showDrawnPoints();
  } else if (message.type === "model") {
    const bytes = Uint8Array.from(atob(message.data), (ch) => ch.charCodeAt(0));
    download(new Blob([bytes], {type: "application/octet-stream"}), message.filename);
  }
}

function receiveFrame(message) {
  frame = message;
  const last = past[past.length - 1];
  if (last && message.epoch <= last.epoch) past = [];
  if (message.train_loss !== undefined && message.train_loss !== null) past.push(message);
  const now = performance.now();
  frameTimes = frameTimes.filter((t) => now - t < 1000);
  frameTimes.push(now);
  $("fps").textContent = frameTimes.length;
  $("epoch").textContent = message.epoch;
  for (const part of ["train", "test"]) {
    const loss = message[`${part}_loss`], score = message[`${part}_score`];
    $(`${part}-loss`).textContent = loss === undefined || loss === null ? "–" : loss.toFixed(3);
    $(`${part}-accuracy`).textContent = score === undefined || score === null ? "–" : score.toFixed(3);
  }
  drawAll();
}

function showError(text) { $("error").textContent = text; }

// --- controls ----------------------------------------------------------------------------------

function showConfig() {
  for (const key of [...NUMBERS, "dataset", "optimizer"]) $(key).value = config[key];
  $("features").replaceChildren(...FEATURES.map((name) => {
    const label = document.createElement("label"), box = document.createElement("input");
    box.type = "checkbox"; box.checked = config.features.includes(name);
    box.dataset.testid = `feature-${name}`; box.dataset.feature = name;
    box.addEventListener("change", changed);
    label.append(box, ` ${name}`);
    return label;
  }));
  $("layers").replaceChildren(...config.layers.map((width, i) => {
    const box = document.createElement("span"), neurons = document.createElement("input");
    const activation = document.createElement("select");
    box.className = "layer";
    neurons.type = "number"; neurons.min = 1; neurons.max = MAX_NEURONS; neurons.value = width;
    neurons.dataset.testid = `layer-${i}-neurons`;
    activation.dataset.testid = `layer-${i}-activation`;
    for (const name of ACTIVATIONS) activation.add(new Option(name, name));
    activation.value = config.activation[i];
    for (const element of [neurons, activation]) element.addEventListener("change", changed);
    box.append(`${i + 1}: `, neurons, activation);
    return box;
  }));
  const drawn = $("draw-class"), chosen = drawn.value || "0";
  drawn.replaceChildren(...[...Array(8).keys()].map((c) => new Option(`class ${c}`, c)));
  drawn.value = chosen;
  $("score-name").textContent = data && data.task === "regression" ? "R²" : "accuracy";
}

function controlsConfig() {
  const c = {...config};
  for (const key of NUMBERS) c[key] = Number($(key).value);
  c.dataset = $("dataset").value;
  c.optimizer = $("optimizer").value;
  c.features = [...document.querySelectorAll("[data-feature]")]
    .filter((box) => box.checked).map((box) => box.dataset.feature);
  c.layers = [...document.querySelectorAll("#layers input")].map((box) => Number(box.value));
  c.activation = [...document.querySelectorAll("#layers select")].map((box) => box.value);
  return c;
}

function changed() { apply(controlsConfig()); }

function apply(c) {
  config = c;
  window.history.replaceState(null, "", urlOf(config));
  send({type: "config", config});
}

function addPoint(event) {
  const canvas = $("regions"), box = canvas.getBoundingClientRect(), extent = data ? data.extent : 6;
  const x1 = ((event.clientX - box.left) / box.width * 2 - 1) * extent;
  const x2 = (1 - (event.clientY - box.top) / box.height * 2) * extent;
  const c = controlsConfig();
  if (c.dataset !== "custom") { // start your own set from the points on show
    c.data = data ? ["train", "test"].flatMap((part) =>
      data[part].x.map((p, i) => [p[0], p[1], data[part].y[i]])) : [];
    c.dataset = "custom";
  }
  c.data = [...c.data, [round(x1), round(x2), Number($("draw-class").value)]];
  apply(c);
}

function showDrawnPoints() { // fewer than two points: nothing to train yet, but show them
  const labels = config.data.map((p) => p[2]);
  data = {...data, task: "classification", classes: [...new Set(labels)].sort((a, b) => a - b),
    train: {x: config.data.map((p) => [p[0], p[1]]), y: labels}, test: {x: [], y: []}};
  frame = null;
  past = [];
  drawAll();
}

function round(v) { return Math.round(v * 100) / 100; }

function uploadCsv() {
  const file = $("csv").files[0];
  if (file) file.text().then((text) => send({type: "csv", text}));
  $("csv").value = "";
}

// --- drawing -----------------------------------------------------------------------------------

function bytesOf(text) { return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0)); }

function hex(colour) { return [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16)); }

function diverging(v) { // 0 -> blue, 0.5 -> white, 1 -> red, as plot_network's maps
  const [end, t] = v < 0.5 ? [NEGATIVE, 1 - 2 * v] : [POSITIVE, 2 * v - 1];
  return end.map((e) => Math.round(255 + (e - 255) * t));
}

function image(size, pixel) { // a size x size canvas whose pixel p has colour pixel(p)
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  const context = canvas.getContext("2d"), picture = context.createImageData(size, size);
  for (let p = 0; p < size * size; p++) {
    picture.data.set([...pixel(p), 255], 4 * p);
  }
  context.putImageData(picture, 0, 0);
  return canvas;
}

function regionsImage() {
  const {size, data: text} = frame.regions, bytes = bytesOf(text), n = size * size;
  if (data.task === "regression") return image(size, (p) => diverging(bytes[p] / 255));
  const colours = data.classes.map((_, c) => hex(CLASS_COLOURS[c % 8]));
  return image(size, (p) => {
    const rgb = [0, 0, 0];
    colours.forEach((colour, c) => colour.forEach((v, i) => { rgb[i] += v * bytes[c * n + p] / 255; }));
    return rgb.map((v) => Math.round(255 - 0.55 * (255 - v))); // lightened: the points stand out
  });
}

function pointColour(label) {
  if (data.task === "regression") return `rgb(${diverging((Math.max(-1, Math.min(1, label)) + 1) / 2)})`;
  return CLASS_COLOURS[data.classes.indexOf(label) % 8];
}

function drawRegions() {
  const canvas = $("regions"), context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  if (!data) return;
  if (frame && frame.regions) {
    context.imageSmoothingEnabled = true;
    context.drawImage(regionsImage(), 0, 0, canvas.width, canvas.height);
  }
  const scale = canvas.width / (2 * data.extent);
  for (const part of ["train", "test"]) {
    data[part].x.forEach(([x1, x2], i) => {
      context.beginPath();
      context.arc((x1 + data.extent) * scale, (data.extent - x2) * scale, 3.5, 0, 2 * Math.PI);
      context.fillStyle = pointColour(data[part].y[i]);
      context.fill();
      context.lineWidth = part === "train" ? 1 : 2;
      context.strokeStyle = part === "train" ? "#fff" : "#000";
      context.stroke();
    });
  }
}

function drawNetwork() {
  const canvas = $("network"), context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  if (!data) return;
  const outputs = frame && frame.weights ? frame.weights.at(-1)[0].length : 1;
  const widths = [config.features.length, ...config.layers, outputs];
  const box = 30, top = 20, left = 62, gapX = (canvas.width - 2 * left) / (widths.length - 1);
  const at = widths.map((n, col) => [...Array(n).keys()].map((j) => [
    left + col * gapX, top + (j + 0.5) * (canvas.height - 2 * top) / n]));
  if (frame && frame.weights) {
    const largest = Math.max(1e-9, ...frame.weights.flat(2).map(Math.abs));
    frame.weights.forEach((W, l) => W.forEach((row, i) => row.forEach((w, j) => {
      context.beginPath();
      context.moveTo(...at[l][i]);
      context.lineTo(...at[l + 1][j]);
      context.strokeStyle = `rgb(${w > 0 ? POSITIVE : NEGATIVE})`;
      context.lineWidth = 0.3 + 3.5 * Math.abs(w) / largest;
      context.stroke();
    })));
  }
  at.forEach((units, col) => units.forEach(([x, y], j) => {
    const maps = frame && frame.neurons ? frame.neurons[col] : null;
    if (maps && maps[j]) {
      const values = bytesOf(maps[j]), size = Math.round(Math.sqrt(values.length));
      context.drawImage(image(size, (p) => diverging(values[p] / 255)), x - box / 2, y - box / 2, box, box);
    } else {
      context.fillStyle = col === widths.length - 1 && data.task === "classification"
        ? CLASS_COLOURS[(outputs === 1 ? 1 : j) % 8] : "#eee";
      context.fillRect(x - box / 2, y - box / 2, box, box);
    }
    context.strokeStyle = "#333";
    context.lineWidth = 1;
    context.strokeRect(x - box / 2, y - box / 2, box, box);
  }));
  context.fillStyle = "#333";
  context.font = "11px system-ui";
  context.textAlign = "right";
  at[0].forEach(([x, y], j) => context.fillText(config.features[j], x - box / 2 - 3, y + 4));
  context.textAlign = "center";
  const names = ["input", ...config.layers.map((_, i) => `hidden ${i + 1}`), "output"];
  names.forEach((name, col) => context.fillText(name, left + col * gapX, canvas.height - 4));
}

function drawCurve(id, key, fixed) {
  const canvas = $(id), context = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
  context.clearRect(0, 0, w, h);
  context.fillStyle = "#333";
  context.font = "11px system-ui";
  context.fillText(key === "loss" ? "loss" : data && data.task === "regression" ? "R²" : "accuracy", 4, 12);
  if (past.length < 2) return;
  const series = ["train", "test"].map((part) => past.map((f) => f[`${part}_${key}`]));
  const values = series.flat().filter((v) => v !== null && Number.isFinite(v));
  const low = fixed ? Math.min(0, ...values) : 0, high = fixed ? 1 : Math.max(1e-9, ...values);
  const first = past[0].epoch, last = past.at(-1).epoch;
  series.forEach((ys, s) => {
    context.beginPath();
    context.setLineDash(s === 0 ? [] : [5, 4]);
    ys.forEach((v, i) => {
      if (v === null) return;
      const x = 30 + (w - 40) * (past[i].epoch - first) / Math.max(1, last - first);
      const y = h - 12 - (h - 28) * (v - low) / (high - low || 1);
      if (i === 0) context.moveTo(x, y); else context.lineTo(x, y);
    });
    context.strokeStyle = "#333";
    context.stroke();
  });
  context.setLineDash([]);
}

function drawAll() {
  drawRegions();
  drawNetwork();
  drawCurve("loss-curve", "loss", false);
  drawCurve("accuracy-curve", "score", true);
}

// --- export ------------------------------------------------------------------------------------

function download(blob, filename) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

function exportPng() { // the regions and curves on the left, the network on the right
  const regions = $("regions"), network = $("network"), loss = $("loss-curve");
  const accuracy = $("accuracy-curve"), figure = document.createElement("canvas");
  figure.width = regions.width + network.width + 30;
  figure.height = Math.max(regions.height + loss.height + accuracy.height, network.height) + 40;
  const context = figure.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, figure.width, figure.height);
  context.fillStyle = "#222";
  context.font = "14px system-ui";
  context.fillText(`${config.dataset}, epoch ${frame ? frame.epoch : 0}, test ${$("score-name").textContent} `
    + `${$("test-accuracy").textContent}`, 10, 20);
  context.drawImage(regions, 10, 30);
  context.drawImage(loss, 10, 30 + regions.height);
  context.drawImage(accuracy, 10, 30 + regions.height + loss.height);
  context.drawImage(network, regions.width + 20, 30);
  figure.toBlob((blob) => download(blob, "playground.png"), "image/png");
}

// --- wiring ------------------------------------------------------------------------------------

for (const key of [...NUMBERS, "dataset", "optimizer"]) $(key).addEventListener("change", changed);
$("play").addEventListener("click", () => send({type: "play"}));
$("pause").addEventListener("click", () => send({type: "pause"}));
$("step").addEventListener("click", () => send({type: "step"}));
$("reset").addEventListener("click", () => send({type: "reset"}));
$("export-model").addEventListener("click", () => send({type: "export"}));
$("export-onnx").addEventListener("click", () => send({type: "export", format: "onnx"}));
$("export-png").addEventListener("click", exportPng);
$("regions").addEventListener("click", addPoint);
$("csv").addEventListener("change", uploadCsv);
$("clear-points").addEventListener("click", () => apply({...controlsConfig(), dataset: "custom", data: []}));
$("add-layer").addEventListener("click", () => {
  const c = controlsConfig();
  if (c.layers.length < MAX_LAYERS) apply({...c, layers: [...c.layers, 8], activation: [...c.activation, "relu"]});
});
$("remove-layer").addEventListener("click", () => {
  const c = controlsConfig();
  apply({...c, layers: c.layers.slice(0, -1), activation: c.activation.slice(0, -1)});
});
$("pause").disabled = true;
connect();
