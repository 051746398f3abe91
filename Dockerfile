# propusk: multi-stage build; the runtime image has no compiler and runs as non-root.
# One binary: templates, static files, migrations and the demo fixtures (the sandbox's
# personas, test keys and certificates) are compiled in.
#   Demo:        docker run -p 8080:8080 IMAGE serve --demo
#   Production:  a volume at /var/lib/propusk (SQLite, mail, master key), or
#                PROPUSK_DATABASE__URL=postgres://… and the master key from a secret;
#                see docs/deployment.md and compose.yaml.
# Docker was not available where this file was written: deploy/container-smoke.sh runs
# the same binary with the same config file, paths, environment and commands, and
# `cargo test --test it container` runs it and checks that this file names them.
FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends pkg-config libssl-dev && rm -rf /var/lib/apt/lists/*
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
COPY templates templates
COPY static static
COPY benches benches
COPY config config
COPY keys keys
RUN cargo build --release --locked --bin propusk && strip target/release/propusk

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 libengine-gost-openssl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --home-dir /var/lib/propusk --shell /usr/sbin/nologin propusk \
    && install -d -o propusk -g propusk -m 0700 /var/lib/propusk
COPY --from=build /src/target/release/propusk /usr/local/bin/propusk
COPY deploy/propusk.toml /etc/propusk/propusk.toml
USER propusk
WORKDIR /var/lib/propusk
VOLUME ["/var/lib/propusk"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/propusk", "--config", "/etc/propusk/propusk.toml", "health"]
ENTRYPOINT ["/usr/local/bin/propusk", "--config", "/etc/propusk/propusk.toml"]
CMD ["serve"]
