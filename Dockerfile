# syntax=docker/dockerfile:1
# Tether server image: compiled JavaScript on Node 24, running as the unprivileged `node` user, with the
# SQLite database, master key and admin token in the /data volume.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the image already has Node 24 (the `node` devDependency would download another one)
# and better-sqlite3 ships prebuilt binaries, so every package comes from the lockfile, integrity-checked.
RUN npm ci --ignore-scripts --no-audit --no-fund && rm -f node_modules/.bin/node
COPY tsconfig.json tsconfig.build.json ./
COPY gen ./gen
COPY src ./src
# Compile, then drop dev dependencies so the runtime stage copies only what the server needs.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    TETHER_DATA_DIR=/data \
    TETHER_HOST=0.0.0.0 \
    TETHER_PORT=8080
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# /readyz answers 200 only while the database answers.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.TETHER_PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# exec form: node runs as PID 1 and gets SIGTERM itself; main.ts handles it (stop accepting, drain, close the database).
CMD ["node", "dist/src/main.js"]
