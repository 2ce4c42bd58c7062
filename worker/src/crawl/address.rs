//! Which addresses the crawler may connect to: publicly routable ones only, unless an
//! operator allows a CIDR (tests, intranets). Checked on the resolved address, so a public
//! name that resolves to a private address is refused too.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::LazyLock,
};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

#[derive(Debug, Clone, thiserror::Error)]
pub enum AddressError {
    #[error("{host} does not resolve to any address")]
    NoAddress { host: String },
    #[error("{host} resolves to {addr}, which is not a publicly routable address")]
    Forbidden { host: String, addr: IpAddr },
    #[error("could not resolve {host}")]
    Lookup {
        host: String,
        // Shared, so a refusal found deep in a client error can be handed on as it is.
        #[source]
        source: std::sync::Arc<std::io::Error>,
    },
}

/// Special-purpose IPv4 ranges (IANA registry) that are never public.
static NON_PUBLIC_V4: LazyLock<Vec<Ipv4Net>> = LazyLock::new(|| {
    [
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    ]
    .iter()
    .map(|n| n.parse().expect("static CIDR"))
    .collect()
});

/// Special-purpose IPv6 ranges that are never public (embedded IPv4 is checked separately).
static NON_PUBLIC_V6: LazyLock<Vec<Ipv6Net>> = LazyLock::new(|| {
    [
        "::/128",
        "::1/128",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    ]
    .iter()
    .map(|n| n.parse().expect("static CIDR"))
    .collect()
});

/// Whether an address is publicly routable. IPv4-mapped, IPv4-compatible, NAT64 and 6to4
/// IPv6 addresses are judged by the IPv4 address they carry.
pub fn is_public(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public_v4(v4),
            None => !NON_PUBLIC_V6.iter().any(|net| net.contains(&v6)),
        },
    }
}

fn is_public_v4(addr: Ipv4Addr) -> bool {
    !NON_PUBLIC_V4.iter().any(|net| net.contains(&addr))
}

fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    // ::a.b.c.d (deprecated IPv4-compatible), 64:ff9b::/96 (NAT64)
    if s[..6] == [0, 0, 0, 0, 0, 0] && !(s[6] == 0 && s[7] <= 1) {
        return Some(tail());
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(tail());
    }
    // 2002::/16 (6to4) carries the IPv4 address in the next 32 bits.
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

/// The crawler's address rules: public, or inside an allowed CIDR; with optional static
/// name overrides that stand in for DNS.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    allow: Vec<IpNet>,
    hosts: HashMap<String, IpAddr>,
}

impl AddressPolicy {
    pub fn new(allow: Vec<IpNet>, hosts: HashMap<String, IpAddr>) -> Self {
        Self { allow, hosts }
    }

    pub fn permits(&self, addr: IpAddr) -> bool {
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(addr),
            v4 => v4,
        };
        is_public(addr) || self.allow.iter().any(|net| net.contains(&addr))
    }

    pub fn check(&self, host: &str, addr: IpAddr) -> Result<(), AddressError> {
        if self.permits(addr) {
            Ok(())
        } else {
            Err(AddressError::Forbidden {
                host: host.to_owned(),
                addr,
            })
        }
    }

    /// Resolves a host name and keeps the permitted addresses; refuses when none is.
    pub async fn resolve(&self, host: &str) -> Result<Vec<SocketAddr>, AddressError> {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let found: Vec<IpAddr> = if let Some(addr) = self.hosts.get(&host) {
            vec![*addr]
        } else if let Ok(addr) = host.parse::<IpAddr>() {
            vec![addr]
        } else {
            tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| AddressError::Lookup {
                    host: host.clone(),
                    source: std::sync::Arc::new(e),
                })?
                .map(|sa| sa.ip())
                .collect()
        };
        let Some(first) = found.first().copied() else {
            return Err(AddressError::NoAddress { host });
        };
        let allowed: Vec<SocketAddr> = found
            .into_iter()
            .filter(|addr| self.permits(*addr))
            .map(|addr| SocketAddr::new(addr, 0))
            .collect();
        if allowed.is_empty() {
            return Err(AddressError::Forbidden { host, addr: first });
        }
        Ok(allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for s in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2002:c0a8:101::1",
            "::127.0.0.1",
        ] {
            assert!(!is_public(ip(s)), "{s} must not be public");
        }
    }

    #[test]
    fn public_addresses_are_public() {
        for s in [
            "8.8.8.8",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(is_public(ip(s)), "{s} must be public");
        }
    }

    #[test]
    fn allow_list_admits_only_its_cidrs() {
        let policy = AddressPolicy::new(vec!["127.0.0.1/32".parse().unwrap()], HashMap::new());
        assert!(policy.permits(ip("127.0.0.1")));
        assert!(policy.permits(ip("::ffff:127.0.0.1")));
        assert!(!policy.permits(ip("127.0.0.2")));
        assert!(!policy.permits(ip("10.0.0.1")));
    }

    #[tokio::test]
    async fn resolution_refuses_a_name_that_maps_to_a_forbidden_address() {
        let hosts = HashMap::from([("inside.test".to_owned(), ip("127.0.0.2"))]);
        let policy = AddressPolicy::new(vec!["127.0.0.1/32".parse().unwrap()], hosts);
        let err = policy.resolve("inside.test").await.unwrap_err();
        assert!(matches!(err, AddressError::Forbidden { .. }), "{err}");
        assert!(policy.resolve("127.0.0.1").await.is_ok());
        assert!(policy.resolve("[::1]").await.is_err());
    }
}
