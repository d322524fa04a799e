# Auto-Concierge: the release site built with cargo-leptos, run as a non-root user on a slim image.
#   docker build -t auto-concierge .
#   docker run -p 3000:3000 -e DATABASE_URL=... -e SECRET_KEY=... -e ENCRYPTION_KEY=... auto-concierge

FROM rust:1.95-bookworm AS builder
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
 && cargo install cargo-leptos --version 0.3.11 --locked --ignore-rust-version
WORKDIR /src
# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
COPY Cargo.lock ./
RUN cargo install wasm-bindgen-cli --version "$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)"
# Tailwind and wasm-opt (binaryen) from npm, never Debian's old binaryen.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Queries checked at compile time read their types from the committed .sqlx/, not a database.
ENV SQLX_OFFLINE=true
RUN cargo leptos build --release

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /app --uid 10001 concierge
WORKDIR /app
COPY --from=builder /src/target/release/server /app/server
COPY --from=builder /src/target/site /app/site
COPY --from=builder /src/Leptos.toml /app/Leptos.toml
USER concierge
ENV ENVIRONMENT=production \
    LEPTOS_SITE_ROOT=site \
    LEPTOS_SITE_ADDR=0.0.0.0:3000 \
    LEPTOS_ENV=PROD \
    RUST_LOG=info
# mimalloc commits its arenas lazily: 10k open event streams take ~190 MB instead of ~310 MB
# (scripts/bench-streams.sh).
ENV MIMALLOC_ARENA_EAGER_COMMIT=0
EXPOSE 3000
ENTRYPOINT ["/app/server"]
CMD ["serve"]
