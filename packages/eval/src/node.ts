// `@perturb/eval/node`: reading run folders and writing reports, with charts rasterized to PNG
// by resvg (a native addon) and a font from npm (Node).
export { readRunResults } from './run-results';
export { writeReport } from './report';
export type { ReportImage, ReportOptions, ReportFiles } from './report';
export type { ReportTable } from './report-content';
export { svgToPng } from './svg-png';
export type { SvgToPngOptions } from './svg-png';
export { writeAugmentationGrid } from './image-grid';
export { machineDescription } from './machine';
