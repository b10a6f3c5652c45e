#!/usr/bin/python3
"""PyTorch CPU's time for one training epoch of the seed CNN on Fashion-MNIST:
the baseline issue 15's trainer is measured against (BENCHMARKS.md).

The seed CNN as test/fixtures/cifar-cnn.ts builds it for 1x28x28 images:
Conv32-MaxPool-Conv64-MaxPool-Conv64-Flatten-Dense64-Dense10, 3x3 valid
convs, ReLUs. SGD with momentum 0.9, lr 0.01, batch 128, softmax
cross-entropy, the 60k training images shuffled once per epoch; the images
are loaded and normalized to [0, 1] before the clock starts. Prints one JSON
line per epoch (seconds, images/s, loss, test accuracy after the epoch).

  apt-get install python3-torch dataset-fashion-mnist
  /usr/bin/python3 bench/torch/seed-cnn-epoch.py   # Debian's python, where python3-torch installs --threads 1 --epochs 2
"""
import argparse, gzip, json, os, struct, time

import numpy as np
import torch
import torch.nn as nn


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    zeros, kind, ndim = struct.unpack('>HBB', data[:4])
    if zeros != 0 or kind != 0x08:
        raise ValueError(f'{path}: not a uint8 IDX file')
    dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(root, split):
    images = read_idx(os.path.join(root, f'{split}-images-idx3-ubyte.gz'))
    labels = read_idx(os.path.join(root, f'{split}-labels-idx1-ubyte.gz'))
    return torch.from_numpy(images.astype(np.float32) / 255).unsqueeze(1), torch.from_numpy(labels.astype(np.int64))


def seed_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(),
        nn.Linear(64 * 3 * 3, 64), nn.ReLU(), nn.Linear(64, 10))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--data', default=os.environ.get('SPARQ_FASHION_MNIST', '/usr/share/datasets/fashion-mnist'))
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--batch', type=int, default=128)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    x, y = load(args.data, 'train')
    tx, ty = load(args.data, 't10k')
    model = seed_cnn()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        order = torch.randperm(len(x))
        model.train()
        start = time.perf_counter()
        total = 0.0
        for i in range(0, len(x), args.batch):
            idx = order[i:i + args.batch]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            accuracy = (model(tx).argmax(1) == ty).float().mean().item()
        print(json.dumps({'torch': torch.__version__, 'threads': args.threads, 'epoch': epoch + 1, 'seconds': round(seconds, 2),
                          'images_per_s': round(len(x) / seconds), 'loss': round(total / len(x), 4), 'test_accuracy': round(accuracy, 4)}))


if __name__ == '__main__':
    main()
