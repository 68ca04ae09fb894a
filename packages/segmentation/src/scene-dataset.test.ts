import { describe, expect, it } from 'vitest';
import { sceneDataset } from './scene-dataset';
import { generateScenes, sceneObjects } from './scenes';

/** Two 2×2 garments of classes 0 and 1, all pixels bright. */
const garments = {
  images: new Uint8Array(8).fill(200),
  labels: [0, 1],
  shape: { height: 2, width: 2 },
  classNames: ['top', 'trouser'],
};

describe('sceneDataset', () => {
  it("carries the scenes' pixels, label maps and boxes, each scene labelled by its largest class", () => {
    const scenes = generateScenes(garments, { count: 5, size: 8, garments: 1, scale: [2, 2], seed: 3 });
    const data = sceneDataset(scenes, 'page scenes');
    expect(data.name).toBe('page scenes');
    expect(data.images).toBe(scenes.images);
    expect(data.shape).toEqual({ height: 8, width: 8, channels: 1 });
    expect(data.numClasses).toBe(3);
    expect(data.classNames).toEqual(['background', 'top', 'trouser']);
    expect(data.labelMaps).toEqual({ classes: scenes.labels, ignoreIndex: 255 });
    expect(data.boxes).toEqual(sceneObjects(scenes));
    // One 4×4 garment on 8×8 leaves 48 pixels of background, the label of every scene; on 4×4
    // it covers the canvas, and its class is the label.
    expect(Array.from(data.labels)).toEqual([0, 0, 0, 0, 0]);
    const large = sceneDataset(generateScenes(garments, { count: 5, size: 4, garments: 1, scale: [2, 2] }));
    expect(Array.from(large.labels)).toEqual(Array.from(large.boxes!.classes, (c) => c + 1));
  });
});
