/**
 * Times one ResNet-20 SGD step (batch 128, 32×32×1) on wasm with a per-kernel profile.
 * Skipped unless PERTURB_TIMING=1:
 *   cd packages/core && PERTURB_TIMING=1 npx vitest run src/kernels/resnet-step.timing.test.ts
 * Compare with `/usr/bin/python3 /work/shared/peers/resnet_peer.py --bench --model resnet20 --threads 1`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend';
import { Module } from '../module';
import { BatchNorm2d, Conv2d, Linear } from '../nn';
import { Rng } from '../rng';

class BasicBlock extends Module {
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly shortcut: { conv: Conv2d; bn: BatchNorm2d } | null;

  constructor(rng: Rng, cin: number, cout: number, stride: number) {
    super();
    this.conv1 = this.addModule('conv1', new Conv2d(rng.child('conv1'), cin, cout, { stride, bias: false }));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(cout));
    this.conv2 = this.addModule('conv2', new Conv2d(rng.child('conv2'), cout, cout, { bias: false }));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(cout));
    this.shortcut =
      stride !== 1 || cin !== cout
        ? {
            conv: this.addModule(
              'shortcutConv',
              new Conv2d(rng.child('sc'), cin, cout, { kernelSize: 1, stride, bias: false }),
            ),
            bn: this.addModule('shortcutBn', new BatchNorm2d(cout)),
          }
        : null;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const y = this.bn2.forward(this.conv2.forward(tf.relu(this.bn1.forward(this.conv1.forward(x)))));
    const skip = this.shortcut ? this.shortcut.bn.forward(this.shortcut.conv.forward(x)) : x;
    return tf.relu(tf.add(y, skip)) as tf.Tensor4D;
  }
}

class ResNet20 extends Module {
  private readonly stem: Conv2d;
  private readonly stemBn: BatchNorm2d;
  private readonly blocks: BasicBlock[] = [];
  private readonly head: Linear;

  constructor(rng: Rng) {
    super();
    this.stem = this.addModule('stem', new Conv2d(rng.child('stem'), 1, 16, { bias: false }));
    this.stemBn = this.addModule('stemBn', new BatchNorm2d(16));
    let cin = 16;
    [16, 32, 64].forEach((cout, stage) => {
      for (let b = 0; b < 3; b++) {
        const stride = stage > 0 && b === 0 ? 2 : 1;
        this.blocks.push(
          this.addModule(`block${stage}${b}`, new BasicBlock(rng.child(`b${stage}${b}`), cin, cout, stride)),
        );
        cin = cout;
      }
    });
    this.head = this.addModule('head', new Linear(rng.child('head'), 64, 10));
  }

  forward(x: tf.Tensor4D): tf.Tensor2D {
    let h = tf.relu(this.stemBn.forward(this.stem.forward(x))) as tf.Tensor4D;
    for (const block of this.blocks) h = block.forward(h);
    return this.head.forward(tf.mean(h, [1, 2]) as tf.Tensor2D);
  }
}

describe.skipIf(process.env.PERTURB_TIMING !== '1')('ResNet-20 SGD step timing on wasm', () => {
  it('times a batch-128 step and prints the kernel profile', async () => {
    await initBackend({ backend: 'wasm', log: false });
    const rng = new Rng(0);
    const model = new ResNet20(rng.child('model'));
    const x = rng.normalTensor([128, 32, 32, 1]) as tf.Tensor4D;
    const labels = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 128 }, (_, i) => i % 10),
        'int32',
      ),
      10,
    );
    const params = model.parameters() as tf.Variable[];
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(labels, model.forward(x)),
          params,
        );
        for (const p of params) p.assign(tf.sub(p, tf.mul(grads[p.name], 0.01)));
        return value.dataSync()[0];
      });
    step();
    // Wall time, and this process's CPU time (less disturbed by other jobs on a shared machine).
    const times: number[] = [];
    const cpuTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      step();
      const cpu = process.cpuUsage(cpu0);
      times.push(performance.now() - t0);
      cpuTimes.push((cpu.user + cpu.system) / 1000);
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const profile = await tf.profile(() => {
      step();
    });
    const byKernel = new Map<string, { calls: number; ms: number }>();
    for (const k of profile.kernels) {
      const entry = byKernel.get(k.name) ?? { calls: 0, ms: 0 };
      entry.calls++;
      entry.ms += k.kernelTimeMs as number;
      byKernel.set(k.name, entry);
    }
    const rows = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms);
    const lines = rows
      .slice(0, 20)
      .map(
        ([name, e]) => `${name.padEnd(32)} ${String(e.calls).padStart(5)} ${e.ms.toFixed(1).padStart(9)} ms`,
      );
    const total = rows.reduce((s, [, e]) => s + e.ms, 0);
    process.stdout.write(
      `ResNet-20 step (batch 128): wall ${times.map((t) => t.toFixed(0)).join(', ')} ms (median ${median(times).toFixed(0)}), ` +
        `cpu median ${median(cpuTimes).toFixed(0)} ms; kernel total ${total.toFixed(0)} ms\n${lines.join('\n')}\n`,
    );
    expect(Math.min(...times)).toBeGreaterThan(0);
  });
});
