# propusk: multi-stage build; the runtime image has no compiler and runs as non-root.
FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends pkg-config libssl-dev && rm -rf /var/lib/apt/lists/*
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
COPY templates templates
COPY static static
COPY benches benches
RUN cargo build --release --locked --bin propusk

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libssl3 libengine-gost-openssl \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/propusk --create-home propusk
COPY --from=build /src/target/release/propusk /usr/local/bin/propusk
COPY config/default.toml /etc/propusk/propusk.toml
USER propusk
WORKDIR /var/lib/propusk
EXPOSE 8080
ENV PROPUSK_SERVER__LISTEN=0.0.0.0:8080
ENTRYPOINT ["propusk"]
CMD ["serve", "--config", "/etc/propusk/propusk.toml"]
