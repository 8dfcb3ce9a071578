import { defineConfig } from "drizzle-kit";

// `npm run db:generate -w @porter/db` writes a new SQL migration into ./drizzle
// from src/schema.ts; commit it. `porter db migrate` applies them.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema.ts",
  out: "./drizzle",
});
