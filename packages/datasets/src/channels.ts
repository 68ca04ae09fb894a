/** Converting decoded RGB pixels to the channel count a dataset keeps. */

/** Channel counts a photo dataset can keep: gray or RGB. */
export type PhotoChannels = 1 | 3;

/**
 * RGB bytes (HWC) with `channels` channels: themselves for 3, ITU-R BT.601 luma
 * (0.299 R + 0.587 G + 0.114 B, as PIL's `convert('L')`) for 1. A gray image decodes to three
 * equal channels, whose luma is that gray again, so gray → RGB → gray loses nothing.
 */
export function convertChannels(rgb: Uint8Array, channels: PhotoChannels): Uint8Array {
  if (channels === 3) return rgb;
  const gray = new Uint8Array(rgb.length / 3);
  for (let p = 0; p < gray.length; p++) {
    gray[p] = Math.round(0.299 * rgb[3 * p] + 0.587 * rgb[3 * p + 1] + 0.114 * rgb[3 * p + 2]);
  }
  return gray;
}
