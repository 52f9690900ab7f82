import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// `npm run dev` serves the UI on :5173 and forwards the API and the event socket to a running
// platform (`scripts/up`, :8000 unless MLOPS_URL says otherwise).
const platform = process.env.MLOPS_URL ?? "http://localhost:8000";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      "/api": platform,
      "/ws": { target: platform.replace(/^http/, "ws"), ws: true },
      "/openapi.json": platform,
    },
  },
  build: { chunkSizeWarningLimit: 1500 },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["src/test/setup.ts"],
    css: false,
    // One environment for all files: twice as fast; each test file sets its own fakes up.
    isolate: false,
  },
});
