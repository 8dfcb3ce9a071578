export { ConfigError, loadConfig, redactUrl, type Config } from "./load-config.js";
export { envSchema, type Env } from "./schema.js";
