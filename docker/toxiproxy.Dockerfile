# Toxiproxy around a static toxiproxy-server binary (CGO_ENABLED=0, see
# scripts/install-toxiproxy.sh); the build context holds just that binary.
# Online, `chaosnet images build` tags ghcr.io/shopify/toxiproxy:2.12.0 instead of building this.
FROM scratch
LABEL chaosnet=1
COPY toxiproxy-server /toxiproxy-server
EXPOSE 8474
ENTRYPOINT ["/toxiproxy-server"]
CMD ["-host=0.0.0.0", "-port=8474", "-proxy-metrics"]
