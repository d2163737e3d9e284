# conversion-relay container image. Not built in this repository's CI (no Docker engine there);
# kept small and conventional: build with the official Swift image, run on slim Debian bookworm.
#
#   docker build -t registry.example.com/conversion-relay:0.1.0 .    # the chart's appVersion
#   docker push registry.example.com/conversion-relay:0.1.0
#   helm install relay ./helm/conversion-relay --set image.repository=registry.example.com/conversion-relay ...
#   docker run --rm -v $PWD/relay.yaml:/etc/conversion-relay/relay.yaml:ro \
#     -e META_ACCESS_TOKEN=… registry.example.com/conversion-relay:0.1.0 run --config /etc/conversion-relay/relay.yaml

FROM swift:6.1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends librdkafka-dev libcurl4-openssl-dev libssl-dev libphonenumber-dev libicu-dev libjemalloc-dev libjq-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product conversion-relay --static-swift-stdlib \
 && install -D .build/release/conversion-relay /out/conversion-relay

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends librdkafka1 libcurl4 libssl3 libphonenumber8 libjemalloc2 libjq1 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 relay \
 && useradd --system --uid 10001 --gid relay --no-create-home --shell /usr/sbin/nologin relay
COPY --from=build /out/conversion-relay /usr/local/bin/conversion-relay
# Read-only root filesystem friendly: the relay writes nothing but logs to stderr.
USER 10001:10001
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/conversion-relay"]
CMD ["run", "--config", "/etc/conversion-relay/relay.yaml"]
