/** Where a report's numbers come from: code, config, date and machine, shown as its first table. */
/** What a report says of its origin; a field left out shows as "not recorded". */
export interface ReportProvenance {
  /** Git commit of the code, e.g. `9ac054e…` (with `+ uncommitted changes` where that applies). */
  commit?: string;
  /** Hash of the experiment's config, e.g. `sha256:3f2a…` of `compare.yaml`. */
  configHash?: string;
  /** When the numbers were produced or the report written, ISO 8601. */
  date: string;
  /** CPU model and core count, e.g. from `machineDescription` (`@perturb/eval/node`). */
  machine?: string;
  /** TensorFlow.js backend(s) the runs used, e.g. `wasm`. */
  backend?: string;
  /** Threads each run used. */
  threads?: string;
  /** perturb's version. */
  version?: string;
}

/** The provenance as label–value rows, in a fixed order. */
export function provenanceRows(provenance: ReportProvenance): Array<[string, string]> {
  const missing = 'not recorded';
  return [
    ['git commit', provenance.commit ?? missing],
    ['config', provenance.configHash ?? missing],
    ['date', provenance.date],
    ['machine', provenance.machine ?? missing],
    ['backend', provenance.backend ?? missing],
    ['threads', provenance.threads ?? missing],
    ['perturb version', provenance.version ?? missing],
  ];
}
