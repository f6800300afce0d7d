# The echo service and traffic driver as one image, for the kind provider:
# the same TypeScript the local provider runs, executed with tsx.
#   docker build -t failover-harness/echo:dev .
FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY harness ./harness
USER node
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["harness/workloads/echo-server.ts"]
