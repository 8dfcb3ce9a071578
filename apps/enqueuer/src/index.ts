export { Demand, type DemandOptions } from "./demand.js";
export { enqueueRun, type EnqueueDeps, type EnqueueOptions } from "./enqueue-run.js";
