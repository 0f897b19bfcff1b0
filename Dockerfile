# The CTI service. Build: docker build -t cti . (see docker-compose.yml for Asterisk beside it)
# Node.js: 22 LTS (the default here) or 24; 20.19+ still runs it (the test machine's Node), but Node 20
# reached its end of life in April 2026. package.json's "engines" says the same.
# Where no registry is reachable, build a base image locally and pass it:
#   podman build --build-arg NODE_IMAGE=localhost/node22 ...
ARG NODE_IMAGE=node:22-bookworm-slim
FROM ${NODE_IMAGE} AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE}
WORKDIR /app
COPY --from=build /app /app
# Listening beyond the container: set CTI_PUBLIC_URL to the address users open (https://cti.example.com);
# CSV links are built from it and a browser's socket from another Origin is refused.
ENV CTI_HTTP_HOST=0.0.0.0 CTI_DB_FILE=/data/cti.sqlite
VOLUME /data
EXPOSE 3000
CMD ["node", "bin/cti.js", "serve"]
