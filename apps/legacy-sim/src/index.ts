export { createCorpus, type Corpus, type CorpusOptions, type Expectation } from "./corpus.js";
export type { SimDocument } from "./document.js";
export { FAULTS, FAULT_NAMES, type FailureKind, type FaultName, type FaultSpec } from "./faults.js";
export { startLegacySim, type LegacySim, type SimOptions, type SimStats } from "./server.js";
