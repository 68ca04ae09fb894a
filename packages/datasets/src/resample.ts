/**
 * Resizing byte images on the host: bilinear, antialiased when shrinking (images), nearest (label
 * maps), and torchvision's
 * `Resize(size)` + `CenterCrop(size)` for photos of any shape. Pure JS, so it runs anywhere.
 */

/** For each output index of one axis: the input indices it blends and their weights. */
type Taps = readonly { readonly at: readonly number[]; readonly weights: readonly number[] }[];

/** Where output index `i` of `size` reads an input of `source` samples (half-pixel centres, PyTorch's `align_corners=False`). */
function sourceOf(i: number, size: number, source: number): number {
  return Math.min(Math.max(((i + 0.5) * source) / size - 0.5, 0), source - 1);
}

/** Bilinear taps: the two input samples around each output sample. */
function bilinearTaps(size: number, source: number): Taps {
  return Array.from({ length: size }, (_, i) => {
    const s = sourceOf(i, size, source);
    const below = Math.floor(s);
    return { at: [below, Math.min(below + 1, source - 1)], weights: [1 - (s - below), s - below] };
  });
}

/**
 * Antialiased bilinear taps (PIL's, and torchvision's `antialias=True`): when shrinking, the
 * triangle filter widens by the shrink factor, so every input sample counts instead of two per
 * output (a photo shrunk 30× by plain bilinear keeps 1 pixel in 225 and shimmers with noise).
 * Enlarging, they are the bilinear taps.
 */
function antialiasTaps(size: number, source: number): Taps {
  const scale = source / size;
  if (scale <= 1) return bilinearTaps(size, source);
  return Array.from({ length: size }, (_, i) => {
    const centre = (i + 0.5) * scale;
    const from = Math.max(Math.floor(centre - scale + 0.5), 0);
    const to = Math.min(Math.floor(centre + scale + 0.5), source);
    const at = Array.from({ length: to - from }, (_, k) => from + k);
    const raw = at.map((x) => Math.max(0, 1 - Math.abs(x + 0.5 - centre) / scale));
    const total = raw.reduce((a, b) => a + b, 0);
    return { at, weights: raw.map((w) => w / total) };
  });
}

/**
 * An HWC byte image resampled separably: each row through `columns`' taps, then each column of
 * that through `rows`' taps, rounded once at the end.
 */
function resample(data: Uint8Array, width: number, channels: number, rows: Taps, columns: Taps): Uint8Array {
  const height = data.length / (width * channels);
  const across = new Float64Array(height * columns.length * channels);
  for (let y = 0; y < height; y++) {
    columns.forEach(({ at, weights }, c) => {
      for (let k = 0; k < channels; k++) {
        let sum = 0;
        for (let t = 0; t < at.length; t++) sum += data[(y * width + at[t]) * channels + k] * weights[t];
        across[(y * columns.length + c) * channels + k] = sum;
      }
    });
  }
  const out = new Uint8Array(rows.length * columns.length * channels);
  rows.forEach(({ at, weights }, r) => {
    for (let c = 0; c < columns.length * channels; c++) {
      let sum = 0;
      for (let t = 0; t < at.length; t++) sum += across[at[t] * columns.length * channels + c] * weights[t];
      out[r * columns.length * channels + c] = Math.round(sum);
    }
  });
  return out;
}

/**
 * An HWC byte image of `height × width × channels` resized to `side × side` (aspect not kept),
 * bilinearly, antialiased when shrinking: torchvision's `Resize((side, side))` of a photo. Without
 * the antialiasing a 500 × 375 VOC photo shrunk to 64 px would keep 4 of its pixels in 45.
 */
export function resizeImage(
  data: Uint8Array,
  height: number,
  width: number,
  channels: number,
  side: number,
): Uint8Array {
  return resample(
    data.subarray(0, height * width * channels),
    width,
    channels,
    antialiasTaps(side, height),
    antialiasTaps(side, width),
  );
}

/** Python's `round`: halves go to the even neighbour (torchvision computes its crop offsets so). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * An HWC byte image of `height × width × channels` as torchvision's `Resize(size)` +
 * `CenterCrop(size)` make it: the shorter side resized to `size` (antialiased bilinear, the
 * longer in proportion, truncated), then the centred `size × size` square kept. Only the kept
 * square is computed.
 */
export function resizeAndCenterCrop(
  data: Uint8Array,
  height: number,
  width: number,
  channels: number,
  size: number,
): Uint8Array {
  const short = Math.min(height, width);
  const [resizedHeight, resizedWidth] = [height, width].map((side) =>
    side === short ? size : Math.floor((size * side) / short),
  );
  const window = (taps: Taps, resized: number) => {
    const start = roundHalfEven((resized - size) / 2);
    return taps.slice(start, start + size);
  };
  return resample(
    data,
    width,
    channels,
    window(antialiasTaps(resizedHeight, height), resizedHeight),
    window(antialiasTaps(resizedWidth, width), resizedWidth),
  );
}

/**
 * A label map of `height × width` resized to `toHeight × toWidth` (default square) by nearest
 * sampling, class ids never blended: to a model's square input, and its predictions back to the
 * photo's size.
 */
export function resizeLabels(
  data: Uint8Array,
  height: number,
  width: number,
  toHeight: number,
  toWidth = toHeight,
): Uint8Array {
  const out = new Uint8Array(toHeight * toWidth);
  for (let r = 0; r < toHeight; r++) {
    const y = Math.min(Math.floor(((r + 0.5) * height) / toHeight), height - 1);
    for (let c = 0; c < toWidth; c++) {
      out[r * toWidth + c] = data[y * width + Math.min(Math.floor(((c + 0.5) * width) / toWidth), width - 1)];
    }
  }
  return out;
}
