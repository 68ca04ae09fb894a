/** PNG checks shared by the chart and report tests (a test helper, not exported). */
import { decode } from 'fast-png';

/** Decodes `png` and counts its pixels of each colour in `colors` ('#rrggbb', exact match). */
export function countColors(png: Uint8Array, colors: readonly string[]): Record<string, number> {
  const { data, channels } = decode(png);
  const counts = Object.fromEntries(colors.map((c) => [c, 0]));
  for (let i = 0; i < data.length; i += channels) {
    const hex = `#${[data[i], data[i + 1], data[i + 2]].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
    if (hex in counts) counts[hex] += 1;
  }
  return counts;
}
