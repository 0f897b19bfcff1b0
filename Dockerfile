# The CTI service. Build: docker build -t cti . (see docker-compose.yml for Asterisk beside it)
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
ENV CTI_HTTP_HOST=0.0.0.0 CTI_DB_FILE=/data/cti.sqlite
VOLUME /data
EXPOSE 3000
CMD ["node", "bin/cti.js", "serve"]
