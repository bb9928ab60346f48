import { defineConfig } from "vite";

// The API that `npm run dev` proxies to (same origin for the page, so no CORS and no
// ALLOWED_ORIGINS needed): `make run` serves it on 127.0.0.1:8000.
const api = process.env.API_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  // The server mounts the built app at /app/ (api/static.py).
  base: "/app/",
  server: {
    proxy: {
      "/graphql": { target: api, ws: true },
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
  },
});
