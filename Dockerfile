# certreg: one static binary on a distroless image, the database on a volume.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/certreg ./cmd/certreg \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/certreg /usr/local/bin/certreg
# A fresh volume takes the owner of the image's directory: the nonroot user.
COPY --from=build --chown=65532:65532 /out/data /data
# The registry database, its signing keys and backups live on the volume.
VOLUME ["/data"]
# The grace period for requests in flight on `docker stop` fits within
# Docker's default 10-second stop timeout; raise both together.
ENV CERTREG_DB=/data/registry.db \
    CERTREG_ADDR=0.0.0.0:8080 \
    CERTREG_SHUTDOWN_GRACE=8s
EXPOSE 8080
USER nonroot:nonroot
# The image has no shell: the binary checks its own health.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["/usr/local/bin/certreg", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/certreg"]
CMD ["serve"]
