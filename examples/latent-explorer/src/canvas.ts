/** Drawing on the page's canvases: 28×28 images (grey or signed) and the loss curve. */

/** Draws a 28×28 image of values in [0, 1] in grey, one canvas pixel per image pixel (CSS scales it). */
export function drawGrey(canvas: HTMLCanvasElement, values: ArrayLike<number>): void {
  drawPixels(canvas, values, (v) => {
    const g = Math.round(255 * Math.min(Math.max(v, 0), 1));
    return [g, g, g];
  });
}

/** Draws signed differences in [−1, 1]: red where the image got brighter, blue where darker. */
export function drawSigned(canvas: HTMLCanvasElement, values: ArrayLike<number>): void {
  drawPixels(canvas, values, (v) => {
    const t = Math.round(255 * (1 - Math.min(Math.abs(v), 1)));
    return v >= 0 ? [255, t, t] : [t, t, 255];
  });
}

function drawPixels(
  canvas: HTMLCanvasElement,
  values: ArrayLike<number>,
  color: (v: number) => [number, number, number],
): void {
  canvas.width = 28;
  canvas.height = 28;
  const image = new ImageData(28, 28);
  for (let i = 0; i < 28 * 28; i++) {
    const [r, g, b] = color(values[i]);
    image.data.set([r, g, b, 255], 4 * i);
  }
  canvas.getContext('2d')!.putImageData(image, 0, 0);
}

/** Each step's loss (light) and its running mean over `window` steps (dark), step 1 at the left. */
export function drawLossCurve(
  canvas: HTMLCanvasElement,
  losses: readonly number[],
  totalSteps: number,
): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  const pad = 28;
  ctx.clearRect(0, 0, width, height);
  ctx.strokeStyle = '#999';
  ctx.strokeRect(pad, 4, width - pad - 4, height - pad);
  ctx.fillStyle = '#555';
  ctx.font = '11px sans-serif';
  ctx.fillText('step', width - 30, height - 8);
  if (losses.length === 0) return;
  const top = Math.max(...losses);
  ctx.fillText(top.toFixed(1), 2, 14);
  ctx.fillText('0', 14, height - pad + 4);
  const x = (step: number) => pad + ((width - pad - 4) * step) / Math.max(totalSteps, 1);
  const y = (loss: number) => 4 + (height - pad - 4) * (1 - loss / top);
  const line = (values: readonly number[], style: string) => {
    ctx.strokeStyle = style;
    ctx.beginPath();
    values.forEach((v, i) => (i === 0 ? ctx.moveTo(x(i + 1), y(v)) : ctx.lineTo(x(i + 1), y(v))));
    ctx.stroke();
  };
  line(losses, '#9ecae1');
  line(runningMean(losses, 10), '#08519c');
}

/** The mean of each value and the `window` − 1 before it. */
export function runningMean(values: readonly number[], window: number): number[] {
  let sum = 0;
  return values.map((v, i) => {
    sum += v - (i >= window ? values[i - window] : 0);
    return sum / Math.min(i + 1, window);
  });
}
