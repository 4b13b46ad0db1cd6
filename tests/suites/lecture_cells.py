# The code cells of the lecture "Neural Networks and Deep Learning" (../shared/seed/), in order,
# as tests/suites/test_lecture.py runs them against `ml`. Cells are separated by "# %%" lines. The only
# change of import is `from ml import plots`; IPython magics are dropped. Transcription errors of
# the lecture's text are fixed and marked "fixed:" where they change what the code does.

# %%
from ml import plots
import matplotlib.pyplot as plt
import seaborn as sns
import pandas as pd
import numpy as np
from matplotlib.colors import ListedColormap
from tqdm.auto import tqdm

# %%
plots.set_plot_style()

# %%
from sklearn.datasets import load_digits
from sklearn import preprocessing

X, y = load_digits(return_X_y=True)

y = preprocessing.LabelBinarizer().fit_transform(y)

print('True (discrete) probability distributions.')

fig, axs = plt.subplots(2, 5, figsize=(8, 4))
for ax, x_i, y_i in zip(axs.flat, X[10:20], y):
    img = x_i.reshape(8, 8)
    ax.imshow(img, cmap='gray_r', interpolation='nearest')
    ax.axis('off')
    print(y_i)

# %%
from sklearn.preprocessing import label_binarize as label_binarize_sklearn
def label_binarize(labels, n_classes):
    # sklearn does not expand binary labels but we need this for our
    # formulation of the training
    binary_labels = label_binarize_sklearn(labels, classes=range(max(n_classes, 3)))
    return binary_labels[:, :n_classes]

# %%
label_binarize([0, 1, 1, 0], 2)

# %%
from sklearn.datasets import load_digits
rng = np.random.default_rng(0)
X, y = load_digits(return_X_y=True)
ones = np.ones(shape=(len(X), 1))
X = np.hstack([ones, X])
# we have 10 classes and p attributes, digits from 0 to 9 and 64 pixels
K = 10
p = 64
# include the bias into the weight matrix
W = rng.normal(size=(p+1, K))
y = label_binarize(y, 10)
y

# %%
# softmax function shifted to zero so no numerical instabilities arise.
def softmax(f):
    f_shifted = f - f.max()
    p = np.exp(f_shifted).T / np.sum(np.exp(f_shifted), axis=1)
    return p.T

# %%
# loss for the entire training set
def loss_cross_ent(X, y, W):
    f = X @ W
    q = softmax(f)
    l = -np.sum(y * np.log2(q), axis=1)
    return l.mean() # the mean over all samples in the batch/dataset

loss_cross_ent(X, y, W)

# %%
def random_search(X, y, loss_function, max_iter=10000, rng=None):
    rng = rng or np.random.default_rng(0)
    # we have 10 classes and p attributes, digits from 0 to 9 and 64 pixels
    K = y.shape[1]
    p = X.shape[1]
    #save all losses
    losses = []
    #start with a random weight matrix
    W = rng.normal(0, 0.01, size=(p, K))
    bestloss = np.inf
    for i in tqdm(range(max_iter)):
        # choose a random direction
        W_new = rng.normal(0, 0.01, size=(p, K))
        loss = loss_function(X, y, W_new)
        losses.append(loss)
        if loss < bestloss:
            W = W_new
            bestloss = loss
    return losses

max_iter = 5000  # fixed: the text has "max iter = 5000"
losses_random = random_search(X, y, loss_cross_ent, max_iter=max_iter)

# %%
plt.figure()
plt.plot(range(max_iter), losses_random, '.')
plt.xlabel('Iterations')
plt.ylabel('Loss Function')
plt.show()

# %%
def random_descent(X, y, loss_function, max_iter=10000, step_size=0.01, rng=None):
    rng = rng or np.random.default_rng(0)
    bestloss = np.inf
    # we have 10 classes and p attributes, digits from 0 to 9 and 64 pixels
    K = y.shape[1]
    p = X.shape[1]
    #save all losses
    losses = []
    #start with a random weight matrix
    W = rng.normal(size=(p, K)) * step_size  # fixed: the text draws from np.random, unseeded
    for i in tqdm(range(max_iter)):
        # choose a random direction
        W_new = rng.normal(W, step_size)
        loss = loss_function(X, y, W_new)
        losses.append(loss)
        if (loss < bestloss):
            W = W_new
            bestloss = loss
    return losses

max_iter = 2500  # fixed: the lecture's progress bars show 2500 iterations from here on
losses_random = random_descent(X, y, loss_cross_ent, max_iter=max_iter)

# %%
plt.figure()
plt.plot(losses_random, '.')
plt.xlabel('Iterations')
plt.ylabel('Loss Function')
plt.show()

# %%
def gradient(W, X, y):
    f = X @ W
    p = softmax(f)
    dh = (p - y)
    dW = (X.T @ dh) / dh.shape[0]
    return dW

def gradient_descent(X, y, loss_function, gradient, max_iter=10000, step_size=0.01, rng=None):
    rng = rng or np.random.default_rng(0)
    bestloss = np.inf
    # we have 10 classes and p attributes, digits from 0 to 9 and 64 pixels
    K = y.shape[1]
    p = X.shape[1]
    #save all losses
    losses = []
    #start with a random weight matrix
    W = rng.normal(0, step_size, size=(p, K))
    for i in tqdm(range(max_iter)):
        W = W - step_size * gradient(W, X, y)
        loss = loss_function(X, y, W)
        losses.append(loss)
    return losses, W

# %%
X, y = load_digits(return_X_y=True)
X = np.hstack([ones, X])
y = label_binarize(y, 10)
losses, W = gradient_descent(X, y, loss_cross_ent, gradient, max_iter=max_iter)

# %%
plt.figure()
plt.plot(losses_random, '.', label='random descent')
plt.plot(losses, '.', label='gradient descent')
plt.xlabel('Iterations')
plt.ylabel('Loss Function')
plt.legend()
plt.title('Cross Entropy Loss')
plt.show()

# %%
plt.figure()
plt.plot(losses[:200], '.', label='gradient descent', color='orange')
plt.xlabel('Iterations')
plt.ylabel('Loss Function')
plt.show()

# %%
from sklearn.datasets import make_blobs
n_classes = 3
X, y = make_blobs(n_samples=1500, n_features=2, center_box=(-5, 5), centers=n_classes, cluster_std=0.3, random_state=0)
# add biases to matrix
ones = np.ones(shape=(len(X), 1))
X_b = np.hstack([ones, X])
y_b = label_binarize(y, n_classes)
losses, W = gradient_descent(X_b, y_b, loss_cross_ent, gradient, max_iter=150)

# %%
prediction = np.argmax(softmax(X_b @ W), axis=1)
cmap = plots.create_discrete_colormap(n_classes)
norm = plt.Normalize(-0.5, n_classes - 0.5)
plt.figure()
plt.axes(aspect='equal')
plt.scatter(X[:,0], X[:, 1], facecolor='none',s=40, edgecolors=cmap(norm(prediction)))
plt.scatter(X[:,0], X[:, 1], c=y, s=10, cmap=cmap, norm=norm)

# %%
X, y = plots.twospirals(n_samples=300)
n_classes = len(np.unique(y))
#add biases to matrix
ones = np.ones(shape=(len(X), 1))
X_b = np.hstack([ones, X])

# %%
from sklearn.neural_network import MLPClassifier

X, y = plots.twospirals(n_samples=400)
clf = MLPClassifier(hidden_layer_sizes=(10, 10), max_iter=500)
clf.fit(X, y)
X, y = plots.twospirals(n_samples=400)
prediction = clf.predict(X)
n_classes = len(np.unique(y))
cmap = plots.create_discrete_colormap(n_classes)
norm = plt.Normalize(-0.5, n_classes - 0.5)
plt.figure()
plt.axes(aspect=1)
plt.scatter(X[:,0], X[:, 1], c=y, cmap=cmap, s=10, label='truth')
plt.scatter(X[:,0], X[:, 1], facecolor='none', s=50, edgecolors=cmap(norm(prediction)), label='prediction')
plt.legend()

# %%
from IPython import display
from sklearn.metrics import confusion_matrix
import time
import warnings

# %%
warnings.filterwarnings('ignore')
fig, [ax1, ax2, ax3, ax4] = plt.subplots(1, 4)
X, y = load_digits(return_X_y=True)
last = 0
for i in range(10):
    mlp = MLPClassifier(hidden_layer_sizes=(64,64,64), max_iter=i + 1, random_state=43, solver='sgd',)
    mlp.fit(X, y)
    if i > 0 :
        plt.suptitle('Iteration {}'.format(i + 1))
        ax1.set_title('Layer 1')
        ax2.set_title('Layer 2')
        ax3.set_title('Layer 3')
        ax4.set_title('Loss Function')
        ax4.set_xlabel('Iteration')
        diff_0 = np.asarray(mlp.coefs_[0])
        diff_1 = np.asarray(mlp.coefs_[1])
        diff_2 = np.asarray(mlp.coefs_[2])
        diff_3 = np.asarray(mlp.coefs_[3])
        ax1.imshow(diff_0, )
        ax2.imshow(diff_1, )
        ax3.imshow(diff_2, )
        ax4.plot(range(1, i + 2), mlp.loss_curve_, color='purple')
        display.clear_output(wait=True)
        display.display(plt.gcf())
    last_0 = np.asarray(mlp.coefs_[0])
    last_1 = np.asarray(mlp.coefs_[1])
    last_2 = np.asarray(mlp.coefs_[2])
    last_3 = np.asarray(mlp.coefs_[3])
plt.close()

# %%
def sigmoid(x):
    return 1 / (1 + np.exp(-x))

def sigmoid_gradient(x):
    return np.exp(x) / (1 + np.exp(x))**2

x = np.linspace(-10, 10, 200)

fig, ax = plt.subplots()
ax.plot(x, sigmoid(x), color='purple')
ax.plot(x, sigmoid_gradient(x), color='purple', ls='--')
ax.spines['left'].set_position(('data', 0.0))
ax.spines['bottom'].set_position(('data', 0.0))

ax.set_title('Sigmoid')

# %%
def tanh(x):
    return np.tanh(x)

def tanh_gradient(x):
    return 1 - tanh(x)**2

x = np.linspace(-10, 10, 200)

fig, ax = plt.subplots()
ax.plot(x, tanh(x), color='purple')
ax.plot(x, tanh_gradient(x), color='purple', ls='--')
ax.spines['left'].set_position(('data', 0.0))
ax.spines['bottom'].set_position(('data', 0.0))

ax.set_title('tanh')

# %%
def relu(x):
    return np.maximum(0, x)

def relu_gradient(x):
    return np.clip(np.sign(x), 0, 1)

def softplus(x):
    return np.log(1 + np.exp(x))

def softplus_gradient(x):
    return 1 / (1 + np.exp(-x))

x = np.linspace(-3, 3, 1000)
fig, ax = plt.subplots()
ax.plot(x, relu(x), label='relu', color='purple')
ax.plot(x, relu_gradient(x), label='relu gradient', color='darkred', ls='--')
ax.plot(x, softplus(x), label='softplus', color='darkorange')
ax.plot(x, softplus_gradient(x), label='softplus gradient', color='darkorange', ls='--')
ax.spines['left'].set_position(('data', 0.0))
ax.spines['bottom'].set_position(('data', 0.0))
ax.legend()
plt.show()
