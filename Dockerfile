# The echo service and traffic driver as one image, for the kind provider:
# the same TypeScript the local provider runs, executed with tsx; the traffic
# driver bundled into dist/driver.mjs and run with plain node, as locally
# (harness/traffic/driver-bundle.ts says why).
#   docker build -t failover-harness/echo:dev .
FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY harness ./harness
RUN node --import tsx harness/cli/build-driver.ts dist/driver.mjs
USER node
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["harness/workloads/echo-server.ts"]
