//! The file as written: serde structs whose `Deserialize` impls check every
//! value, so a mistake is reported by serde_yaml_ng with its key path and
//! line ("functions.api.timeout: ... at line 9 column 14").

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::{
    Architecture, DEFAULT_MEMORY_MB, DEFAULT_REGION, DEFAULT_STAGE, DEFAULT_TIMEOUT_SECONDS,
    Function, HttpApiRoute, Provider, ServerlessConfig,
};

#[derive(Deserialize)]
#[serde(
    rename_all = "camelCase",
    expecting = "a serverless.yml mapping (service, provider, functions...)"
)]
pub(super) struct RawConfig {
    service: Name,
    framework_version: Option<Scalar>,
    provider: RawProvider,
    #[serde(default)]
    plugins: Vec<String>,
    #[serde(default)]
    package: Option<RawPackage>,
    #[serde(default)]
    functions: Ordered<RawFunction>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", expecting = "a mapping of provider settings")]
struct RawProvider {
    name: ProviderName,
    runtime: Option<String>,
    architecture: Option<RawArchitecture>,
    region: Option<String>,
    stage: Option<String>,
    timeout: Option<Timeout>,
    memory_size: Option<MemorySize>,
    #[serde(default)]
    environment: BTreeMap<String, Scalar>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", expecting = "a mapping of function settings")]
struct RawFunction {
    handler: String,
    name: Option<String>,
    runtime: Option<String>,
    architecture: Option<RawArchitecture>,
    timeout: Option<Timeout>,
    memory_size: Option<MemorySize>,
    #[serde(default)]
    environment: BTreeMap<String, Scalar>,
    package: Option<RawPackage>,
    reserved_concurrency: Option<u32>,
    #[serde(default)]
    events: Vec<RawEvent>,
}

#[derive(Deserialize)]
#[serde(expecting = "a mapping such as {artifact: path/to/bootstrap.zip}")]
struct RawPackage {
    artifact: Option<String>,
}

#[derive(Deserialize, Clone, Copy)]
enum RawArchitecture {
    #[serde(rename = "x86_64")]
    X86_64,
    #[serde(rename = "arm64")]
    Arm64,
}

impl From<RawArchitecture> for Architecture {
    fn from(a: RawArchitecture) -> Self {
        match a {
            RawArchitecture::X86_64 => Architecture::X86_64,
            RawArchitecture::Arm64 => Architecture::Arm64,
        }
    }
}

impl RawConfig {
    pub(super) fn resolve(self, path: &Path, dir: &Path) -> Result<ServerlessConfig, String> {
        let p = self.provider;
        let stage = p.stage.unwrap_or_else(|| DEFAULT_STAGE.to_owned());
        let provider = Provider {
            name: p.name.0,
            runtime: p.runtime,
            architecture: p.architecture.map_or(Architecture::X86_64, Into::into),
            region: p.region.unwrap_or_else(|| DEFAULT_REGION.to_owned()),
            stage: stage.clone(),
            timeout: p.timeout.map(|t| t.0),
            memory_size: p.memory_size.map(|m| m.0),
            environment: p.environment.into_iter().map(|(k, v)| (k, v.0)).collect(),
        };
        let service_artifact = self.package.and_then(|p| p.artifact);
        let mut functions = Vec::new();
        for (key, f) in self.functions.0 {
            let mut environment = provider.environment.clone();
            environment.extend(f.environment.into_iter().map(|(k, v)| (k, v.0)));
            let artifact = f
                .package
                .and_then(|p| p.artifact)
                .or_else(|| service_artifact.clone())
                .map(|a| dir.join(a));
            functions.push(Function {
                name: f
                    .name
                    .unwrap_or_else(|| format!("{}-{}-{}", self.service.0, stage, key)),
                handler: f.handler,
                runtime: f.runtime.or_else(|| provider.runtime.clone()),
                architecture: f.architecture.map_or(provider.architecture, Into::into),
                timeout_seconds: f
                    .timeout
                    .map(|t| t.0)
                    .or(provider.timeout)
                    .unwrap_or(DEFAULT_TIMEOUT_SECONDS),
                memory_size_mb: f
                    .memory_size
                    .map(|m| m.0)
                    .or(provider.memory_size)
                    .unwrap_or(DEFAULT_MEMORY_MB),
                environment,
                artifact,
                reserved_concurrency: f.reserved_concurrency,
                http_api: f.events.into_iter().map(|RawEvent::HttpApi(r)| r).collect(),
                key,
            });
        }
        Ok(ServerlessConfig {
            path: path.to_owned(),
            service: self.service.0,
            framework_version: self.framework_version.map(|v| v.0),
            provider,
            plugins: self.plugins,
            functions,
        })
    }
}

/// A scalar whose value is checked while serde_yaml_ng is still on it, so
/// the error carries the key's own path and line.
macro_rules! checked_scalar {
    ($name:ident, String, $check:expr) => {
        struct $name(String);
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: de::Error>(self, s: &str) -> Result<$name, E> {
                        let check: fn(&str) -> Result<(), String> = $check;
                        check(s).map_err(E::custom)?;
                        Ok($name(s.to_owned()))
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
    ($name:ident, u32, $check:expr) => {
        struct $name(u32);
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("a whole number")
                    }
                    fn visit_u64<E: de::Error>(self, n: u64) -> Result<$name, E> {
                        let n = u32::try_from(n).unwrap_or(u32::MAX);
                        let check: fn(u32) -> Result<(), String> = $check;
                        check(n).map_err(E::custom)?;
                        Ok($name(n))
                    }
                    fn visit_i64<E: de::Error>(self, n: i64) -> Result<$name, E> {
                        match u64::try_from(n) {
                            Ok(n) => self.visit_u64(n),
                            Err(_) => {
                                Err(E::custom(format!("expected a positive number, got {n}")))
                            }
                        }
                    }
                }
                d.deserialize_u32(V)
            }
        }
    };
}

// Service names: letters, digits and hyphens, starting with a letter
// (Serverless v3 schema: `^[a-zA-Z][0-9a-zA-Z-]+$`).
checked_scalar!(Name, String, |s| {
    let ok = s.len() >= 2
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "service name {s:?} must start with a letter and contain only letters, digits and hyphens"
        ))
    }
});

checked_scalar!(ProviderName, String, |s| {
    if s == "aws" {
        Ok(())
    } else {
        Err(format!(
            "provider {s:?} is not supported: localcloud emulates AWS only (provider.name: aws)"
        ))
    }
});

// Lambda: "The amount of time ... maximum allowed value is 900 seconds" (L-DG, configuration-timeout).
checked_scalar!(Timeout, u32, |t| {
    if (1..=900).contains(&t) {
        Ok(())
    } else {
        Err(format!("timeout must be 1 to 900 seconds, got {t}"))
    }
});

// Lambda: memory from 128 MB to 10,240 MB (L-DG, configuration-memory).
checked_scalar!(MemorySize, u32, |m| {
    if (128..=10_240).contains(&m) {
        Ok(())
    } else {
        Err(format!("memorySize must be 128 to 10240 MB, got {m}"))
    }
});

/// A string, number or boolean, read as text (environment values, `frameworkVersion: 3`).
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_yaml_ng::Value::deserialize(d)? {
            serde_yaml_ng::Value::String(s) => Ok(Scalar(s)),
            serde_yaml_ng::Value::Number(n) => Ok(Scalar(n.to_string())),
            serde_yaml_ng::Value::Bool(b) => Ok(Scalar(b.to_string())),
            other => Err(de::Error::custom(format!(
                "expected a string, number or boolean, found {}; CloudFormation functions (Ref, Fn::GetAtt, ...) are not supported here by localcloud",
                kind(&other)
            ))),
        }
    }
}

fn kind(v: &serde_yaml_ng::Value) -> &'static str {
    use serde_yaml_ng::Value::*;
    match v {
        Null => "null",
        Bool(_) => "a boolean",
        Number(_) => "a number",
        String(_) => "a string",
        Sequence(_) => "a list",
        Mapping(_) => "a mapping",
        Tagged(_) => "a tagged value",
    }
}

/// The HTTP methods an `httpApi` route can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
    Options,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
            HttpMethod::Head => "HEAD",
            HttpMethod::Options => "OPTIONS",
        }
    }

    /// Reads `post`, `POST`; `*` and `ANY` mean any method (`None`).
    fn parse(s: &str) -> Result<Option<HttpMethod>, String> {
        Ok(Some(match s.to_ascii_uppercase().as_str() {
            "*" | "ANY" => return Ok(None),
            "GET" => HttpMethod::Get,
            "POST" => HttpMethod::Post,
            "PUT" => HttpMethod::Put,
            "PATCH" => HttpMethod::Patch,
            "DELETE" => HttpMethod::Delete,
            "HEAD" => HttpMethod::Head,
            "OPTIONS" => HttpMethod::Options,
            _ => {
                return Err(format!(
                    "method {s:?} is not an HTTP method (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or *)"
                ));
            }
        }))
    }

    pub fn matches(self, method: &http::Method) -> bool {
        self.as_str() == method.as_str()
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of `events:`. Only event types localcloud can play are accepted.
enum RawEvent {
    HttpApi(HttpApiRoute),
}

impl<'de> Deserialize<'de> for RawEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, serde_yaml_ng::Value>::deserialize(d)?;
        let mut entries = map.into_iter();
        let (Some((kind, value)), None) = (entries.next(), entries.next()) else {
            return Err(de::Error::custom(
                "each event must have exactly one key, such as `- httpApi: {method: POST, path: /}`",
            ));
        };
        match kind.as_str() {
            "httpApi" => parse_http_api(&value)
                .map(RawEvent::HttpApi)
                .map_err(de::Error::custom),
            "http" => Err(de::Error::custom(
                "event type `http` (API Gateway REST API) is not supported by localcloud; use `httpApi` (HTTP API)",
            )),
            other => Err(de::Error::custom(format!(
                "event type `{other}` is not supported by localcloud (supported: httpApi)"
            ))),
        }
    }
}

fn parse_http_api(value: &serde_yaml_ng::Value) -> Result<HttpApiRoute, String> {
    let (method, path) = match value {
        serde_yaml_ng::Value::String(s) if s.trim() == "*" => return Ok(HttpApiRoute::Default),
        serde_yaml_ng::Value::String(s) => match s.trim().split_once(' ') {
            Some((m, p)) => (m.to_owned(), p.trim().to_owned()),
            None => {
                return Err(format!(
                    "httpApi {s:?} must be `METHOD /path` (e.g. 'POST /') or '*'"
                ));
            }
        },
        serde_yaml_ng::Value::Mapping(m) => {
            let get = |k: &str| match m.get(k) {
                Some(serde_yaml_ng::Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(format!("httpApi.{k} must be a string")),
                None => Err(format!(
                    "httpApi needs `{k}` (e.g. {{method: POST, path: /}})"
                )),
            };
            if let Some(other) = m
                .keys()
                .filter_map(|k| k.as_str())
                .find(|k| !["method", "path", "authorizer"].contains(k))
            {
                return Err(format!("httpApi.{other} is not supported by localcloud"));
            }
            (get("method")?, get("path")?)
        }
        other => {
            return Err(format!(
                "httpApi must be a mapping {{method, path}} or a string like 'POST /', found {}",
                kind(other)
            ));
        }
    };
    let method = HttpMethod::parse(&method)?;
    if path == "*" && method.is_none() {
        return Ok(HttpApiRoute::Default);
    }
    check_route_path(&path)?;
    Ok(HttpApiRoute::Route { method, path })
}

/// HTTP API route paths: `/`, `/items`, `/items/{id}`, `/files/{proxy+}`
/// (HTTPAPI, "Working with routes for HTTP APIs"): a greedy `{name+}` only as
/// the last segment.
fn check_route_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("httpApi path {path:?} must start with `/`"));
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    for (i, seg) in segments.iter().enumerate() {
        let is_last = i + 1 == segments.len();
        if seg.is_empty() && !(is_last && segments.len() == 1) {
            return Err(format!("httpApi path {path:?} has an empty segment"));
        }
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let name = match name.strip_suffix('+') {
                Some(n) if is_last => n,
                Some(_) => {
                    return Err(format!(
                        "httpApi path {path:?}: a greedy parameter {{name+}} must be the last segment"
                    ));
                }
                None => name,
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!(
                    "httpApi path {path:?}: bad parameter name {name:?}"
                ));
            }
        } else if seg.contains(['{', '}']) {
            return Err(format!(
                "httpApi path {path:?}: a parameter must be a whole segment, like /items/{{id}}"
            ));
        }
    }
    Ok(())
}

/// A mapping read in file order (`functions:` order is the order a learner
/// sees in reports).
pub(super) struct Ordered<T>(pub Vec<(String, T)>);

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for OrderedVisitor<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Ordered(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(String, T)> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if entries.iter().any(|(k, _)| *k == key) {
                        return Err(de::Error::custom(format!("`{key}` is defined twice")));
                    }
                    let value = map.next_value()?;
                    entries.push((key, value));
                }
                Ok(Ordered(entries))
            }
        }
        d.deserialize_any(OrderedVisitor(PhantomData))
    }
}
