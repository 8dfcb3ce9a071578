export { Demand, type DemandOptions } from "./demand.js";
export { enqueueRun, type EnqueueDeps, type EnqueueOptions } from "./enqueue-run.js";
export { followRun, readProgress, toSummary, type FollowOptions, type RunProgress, type RunSummary } from "./follow-run.js";
export { listPage, type ListPolicy } from "./list-page.js";
