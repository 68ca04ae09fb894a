/** Resizing a sample of a segmentation layout to the dataset's fixed size: images bilinearly, label maps by nearest. */

/** Where output index `i` of `size` reads an input of `source` samples (half-pixel centres, PyTorch's `align_corners=False`). */
function sourceOf(i: number, size: number, source: number): number {
  return Math.min(Math.max(((i + 0.5) * source) / size - 0.5, 0), source - 1);
}

/** An HWC byte image of `height × width × channels` resized bilinearly to `side × side`. */
export function resizeImage(
  data: Uint8Array,
  height: number,
  width: number,
  channels: number,
  side: number,
): Uint8Array {
  const out = new Uint8Array(side * side * channels);
  for (let r = 0; r < side; r++) {
    const sy = sourceOf(r, side, height);
    const [y0, fy] = [Math.floor(sy), sy - Math.floor(sy)];
    const y1 = Math.min(y0 + 1, height - 1);
    for (let c = 0; c < side; c++) {
      const sx = sourceOf(c, side, width);
      const [x0, fx] = [Math.floor(sx), sx - Math.floor(sx)];
      const x1 = Math.min(x0 + 1, width - 1);
      for (let k = 0; k < channels; k++) {
        const at = (y: number, x: number) => data[(y * width + x) * channels + k];
        const top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx;
        const bottom = at(y1, x0) * (1 - fx) + at(y1, x1) * fx;
        out[(r * side + c) * channels + k] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return out;
}

/** A label map of `height × width` resized to `side × side` by nearest sampling (class ids are never blended). */
export function resizeLabels(data: Uint8Array, height: number, width: number, side: number): Uint8Array {
  const out = new Uint8Array(side * side);
  for (let r = 0; r < side; r++) {
    const y = Math.min(Math.floor(((r + 0.5) * height) / side), height - 1);
    for (let c = 0; c < side; c++) {
      out[r * side + c] = data[y * width + Math.min(Math.floor(((c + 0.5) * width) / side), width - 1)];
    }
  }
  return out;
}
