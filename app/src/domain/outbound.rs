//! Requests to addresses a company gives (its CRM's webhook, its own LLM): in production they
//! must lead to the internet, not into the platform's own network (SSRF).

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use super::{Config, Error, Result};

/// A company-given URL as it will be used: `http(s)://host…`, at most 2000 characters, without
/// a login and password (a key goes in a header), and in production not an address inside the
/// network (see [`reachable_address`]). `what` names it in the error («Адрес вебхука»).
pub async fn checked_url(config: &Config, url: &str, what: &str, example: &str) -> Result<String> {
    let url = url.trim();
    let parsed = reqwest::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .filter(|_| url.len() <= 2000)
        .ok_or_else(|| Error::validation(format!("{what}: полный URL вида {example}")))?;
    if parsed.username() != "" || parsed.password().is_some() {
        return Err(Error::validation(format!(
            "{what} не должен содержать логин и пароль: ключ передаётся заголовком"
        )));
    }
    if guarded(config) {
        reachable_address(&parsed).await?;
    }
    Ok(url.to_string())
}

/// Whether addresses inside the network are refused: in production, unless the operator allowed
/// them (`OUTBOUND_ALLOW_INTERNAL`, an on-premises install with the CRM or the model on its LAN).
pub fn guarded(config: &Config) -> bool {
    config.is_production() && !config.outbound_allow_internal
}

/// Where a company-given URL (a webhook, its own LLM) may connect in production: the URL's host resolved, every address outside
/// loopback, private, link-local, shared, multicast and other internal ranges (a CRM or a model
/// provider is on the internet; an address inside would let any company admin probe the platform's own
/// network). The connection then goes to the address checked, not to a second resolution.
pub async fn reachable_address(url: &reqwest::Url) -> Result<SocketAddr> {
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(443);
    let refused = || {
        Error::validation(format!(
            "Адрес «{host}» ведёт во внутреннюю сеть: запросы уходят только на адреса в интернете"
        ))
    };
    let not_found = || Error::validation(format!("Адрес «{host}» не находится (DNS)"));
    let lookup = tokio::net::lookup_host((host.trim_matches(['[', ']']), port));
    let addresses: Vec<SocketAddr> = tokio::time::timeout(Duration::from_secs(5), lookup)
        .await
        .map_err(|_| not_found())?
        .map_err(|_| not_found())?
        .collect();
    if addresses.is_empty() || addresses.iter().any(|a| internal(a.ip())) {
        return Err(refused());
    }
    Ok(addresses[0])
}

/// Whether `ip` is inside a network rather than on the internet.
pub fn internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
                || (a == 198 && (18..20).contains(&b)) // benchmarking
                || (a == 192 && b == 0 && v4.octets()[2] == 0) // IETF protocol assignments
                || a >= 240 // reserved
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return internal(IpAddr::V4(v4));
            }
            let segments = v6.segments();
            let first = segments[0];
            // IPv4-compatible (::a.b.c.d) and 6to4 (2002:a.b.c.d::) addresses carry an IPv4 one.
            let carried = |high: u16, low: u16| {
                let [a, b] = high.to_be_bytes();
                let [c, d] = low.to_be_bytes();
                std::net::Ipv4Addr::new(a, b, c, d)
            };
            if segments[..6].iter().all(|s| *s == 0) {
                return internal(IpAddr::V4(carried(segments[6], segments[7])));
            }
            if first == 0x2002 {
                return internal(IpAddr::V4(carried(segments[1], segments[2])));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
                || (first == 0x0064 && v6.segments()[1] == 0xff9b) // NAT64 of any address
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "2002:a00:1::",
            "fec0::1",
            "192.0.0.8",
        ] {
            assert!(internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["77.88.8.8", "8.8.8.8", "2a02:6b8::feed:0ff"] {
            assert!(!internal(ip.parse().unwrap()), "{ip}");
        }
    }
}
