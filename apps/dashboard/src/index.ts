export { createDashboard, type DashboardDeps } from "./create-dashboard.js";
export { runDashboard } from "./run-dashboard.js";
