//! The client's address (AB-04): the TCP peer, unless that peer is one of
//! `server.trusted_proxies`; only then is the address taken from the forwarding header
//! the proxy writes (`server.client_address_header`: `X-Forwarded-For` or RFC 7239
//! `Forwarded`), as the right-most hop that is not itself a trusted proxy.
//!
//! Why right-most: a client can send any forwarding header it likes, and a proxy
//! appends the address it saw, so only the hops added by our own proxies are facts.
//! Why one header and not both: a proxy that writes `X-Forwarded-For` passes a
//! client's own `Forwarded` through untouched, so reading both would let a client
//! choose its address.

use crate::app::App;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The forwarding header the trusted proxies write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardHeader {
    XForwardedFor,
    Forwarded,
}

/// The parsed `server.trusted_proxies` and `server.client_address_header`.
#[derive(Debug, Clone, Default)]
pub struct Proxies {
    nets: Vec<IpNet>,
    header: Option<ForwardHeader>,
}

impl Proxies {
    /// Parses the configuration: CIDRs or single addresses, and the header name
    /// (`x-forwarded-for` or `forwarded`, any case). The error says which and why.
    pub fn parse(cidrs: &[String], header: &str) -> Result<Self, (&'static str, String)> {
        let mut nets = Vec::with_capacity(cidrs.len());
        for cidr in cidrs {
            let cidr = cidr.trim();
            let net = cidr
                .parse::<IpNet>()
                .or_else(|_| cidr.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| ("server.trusted_proxies", format!("`{cidr}` is not an address or CIDR")))?;
            nets.push(net);
        }
        let header = match header.to_ascii_lowercase().as_str() {
            "x-forwarded-for" => ForwardHeader::XForwardedFor,
            "forwarded" => ForwardHeader::Forwarded,
            _ => return Err(("server.client_address_header", "must be x-forwarded-for or forwarded".into())),
        };
        Ok(Self { nets, header: Some(header) })
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|n| n.contains(&ip))
    }

    /// The client's address of a request from `peer` with `headers`.
    pub fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        let Some(header) = self.header.filter(|_| self.trusts(peer)) else {
            return peer;
        };
        // Hops in order, the proxy nearest to us last. An unreadable hop ends the
        // walk: what lies left of it cannot be told apart from what a client wrote.
        let hops = forwarded_hops(headers, header);
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop {
                Some(ip) if self.trusts(*ip) => client = *ip,
                Some(ip) => return *ip,
                None => return client,
            }
        }
        client
    }
}

/// IPv4-mapped IPv6 addresses (a dual-stack listener's view of IPv4) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Every hop of every instance of the header, in order; `None` for a hop that is
/// not an address (`unknown`, an obfuscated identifier, garbage).
fn forwarded_hops(headers: &HeaderMap, header: ForwardHeader) -> Vec<Option<IpAddr>> {
    let name = match header {
        ForwardHeader::XForwardedFor => "x-forwarded-for",
        ForwardHeader::Forwarded => "forwarded",
    };
    let mut hops = Vec::new();
    for value in headers.get_all(name) {
        let Ok(value) = value.to_str() else {
            hops.push(None);
            continue;
        };
        for element in value.split(',') {
            let hop = match header {
                ForwardHeader::XForwardedFor => parse_node(element.trim()),
                ForwardHeader::Forwarded => forwarded_for(element),
            };
            hops.push(hop);
        }
    }
    hops
}

/// The `for=` parameter of one RFC 7239 element (`for=192.0.2.1;proto=https`).
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim().eq_ignore_ascii_case("for").then(|| parse_node(value.trim().trim_matches('"')))?
    })
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = node.strip_prefix('[') {
        let (inside, _) = rest.split_once(']')?;
        return inside.parse::<IpAddr>().ok().map(canonical);
    }
    node.parse::<SocketAddr>().ok().map(|s| canonical(s.ip()))
}

/// The extractor handlers use: the client's address under the configured proxies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<Arc<App>> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        // Without connection info (a router driven in-process), the peer is unknown:
        // everyone shares the unspecified address's counters.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(Self(app.proxies.client_of(peer, &parts.headers)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        h
    }

    #[test]
    fn ab_04_client_address_table() {
        let proxies = Proxies::parse(&["10.0.0.0/8".into(), "127.0.0.1".into()], "X-Forwarded-For").unwrap();
        let fwd = Proxies::parse(&["10.0.0.0/8".into()], "forwarded").unwrap();
        let none = Proxies::parse(&[], "x-forwarded-for").unwrap();
        let xff = "x-forwarded-for";
        type Case<'a> = (&'a Proxies, &'a str, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case] = &[
            // No trusted proxies: the header is ignored, whatever it says.
            (&none, "198.51.100.9", &[(xff, "203.0.113.1")], "198.51.100.9"),
            // An untrusted peer cannot choose its address.
            (&proxies, "198.51.100.9", &[(xff, "203.0.113.1")], "198.51.100.9"),
            // From a trusted proxy: the right-most untrusted hop.
            (&proxies, "10.1.1.1", &[(xff, "203.0.113.1")], "203.0.113.1"),
            (&proxies, "10.1.1.1", &[(xff, "6.6.6.6, 203.0.113.1")], "203.0.113.1"),
            (&proxies, "10.1.1.1", &[(xff, "6.6.6.6, 203.0.113.1, 10.2.2.2")], "203.0.113.1"),
            (&proxies, "10.1.1.1", &[(xff, "6.6.6.6"), (xff, "203.0.113.1")], "203.0.113.1"),
            // Ports and brackets as proxies write them.
            (&proxies, "10.1.1.1", &[(xff, "[2001:db8::7]:443")], "2001:db8::7"),
            (&proxies, "10.1.1.1", &[(xff, "203.0.113.1:5555")], "203.0.113.1"),
            // Only proxies in the chain: the farthest one is the client.
            (&proxies, "10.1.1.1", &[(xff, "10.9.9.9")], "10.9.9.9"),
            // A trusted peer with no header, or garbage next to it: the nearest known hop.
            (&proxies, "10.1.1.1", &[], "10.1.1.1"),
            (&proxies, "10.1.1.1", &[(xff, "evil, unknown")], "10.1.1.1"),
            (&proxies, "10.1.1.1", &[(xff, "203.0.113.1, nonsense, 10.2.2.2")], "10.2.2.2"),
            // The other header is not read.
            (&proxies, "10.1.1.1", &[("forwarded", "for=203.0.113.1")], "10.1.1.1"),
            (&fwd, "10.1.1.1", &[(xff, "203.0.113.1"), ("forwarded", "for=192.0.2.60;proto=https")], "192.0.2.60"),
            (&fwd, "10.1.1.1", &[("forwarded", r#"for=6.6.6.6, for="[2001:db8:cafe::17]:4711""#)], "2001:db8:cafe::17"),
            (&fwd, "10.1.1.1", &[("forwarded", "proto=https;For=192.0.2.43")], "192.0.2.43"),
            (&fwd, "10.1.1.1", &[("forwarded", "for=_hidden")], "10.1.1.1"),
            // IPv4 seen through a dual-stack socket.
            (&proxies, "::ffff:127.0.0.1", &[(xff, "203.0.113.5")], "203.0.113.5"),
        ];
        for (i, (p, peer, h, want)) in cases.iter().enumerate() {
            assert_eq!(p.client_of(ip(peer), &headers(h)), ip(want), "case {i}: {peer} {h:?}");
        }
    }

    #[test]
    fn bad_configuration_names_the_key() {
        assert_eq!(Proxies::parse(&["10.0.0.0/33".into()], "forwarded").unwrap_err().0, "server.trusted_proxies");
        assert_eq!(Proxies::parse(&["proxy.local".into()], "forwarded").unwrap_err().0, "server.trusted_proxies");
        assert_eq!(Proxies::parse(&[], "x-real-ip").unwrap_err().0, "server.client_address_header");
        assert!(Proxies::parse(&["::1".into(), "fd00::/8".into()], "forwarded").is_ok());
    }
}
