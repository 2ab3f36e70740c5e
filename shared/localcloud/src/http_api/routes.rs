//! Route selection, as HTTP API does it ("Working with routes for HTTP
//! APIs"): the most specific match wins. A literal segment beats a
//! `{param}`, which beats a greedy `{proxy+}`; a method beats `ANY`; the
//! `$default` route takes what nothing else matches.

use std::collections::BTreeMap;

use crate::config::{HttpApiRoute, HttpMethod};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

/// A route and the function it invokes.
#[derive(Debug, Clone)]
pub struct Route {
    /// `POST /`, `ANY /items/{id}`, `$default`.
    pub route_key: String,
    /// The function's deployed name.
    pub function: String,
    method: Option<HttpMethod>,
    /// `None` for `$default`.
    segments: Option<Vec<Segment>>,
}

/// A matched route and the values of its path parameters.
#[derive(Debug)]
pub struct RouteMatch<'a> {
    pub route: &'a Route,
    pub path_parameters: BTreeMap<String, String>,
}

/// All routes of one API.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
}

impl RouteTable {
    pub fn add(&mut self, route: &HttpApiRoute, function: impl Into<String>) {
        let (method, segments) = match route {
            HttpApiRoute::Default => (None, None),
            HttpApiRoute::Route { method, path } => (*method, Some(parse_path(path))),
        };
        self.routes.push(Route {
            route_key: route.route_key(),
            function: function.into(),
            method,
            segments,
        });
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The route a request goes to, if any.
    pub fn find(&self, method: &http::Method, path: &str) -> Option<RouteMatch<'_>> {
        let request: Vec<&str> = split(path);
        let mut best: Option<((usize, usize, bool, bool), RouteMatch<'_>)> = None;
        for route in &self.routes {
            let Some(segments) = &route.segments else {
                continue;
            };
            if let Some(m) = route.method
                && !m.matches(method)
            {
                continue;
            }
            let Some(parameters) = match_segments(segments, &request) else {
                continue;
            };
            let literals = segments
                .iter()
                .filter(|s| matches!(s, Segment::Literal(_)))
                .count();
            let params = segments
                .iter()
                .filter(|s| matches!(s, Segment::Param(_)))
                .count();
            let not_greedy = !segments.iter().any(|s| matches!(s, Segment::Greedy(_)));
            let score = (literals, params, not_greedy, route.method.is_some());
            if best.as_ref().is_none_or(|(b, _)| score > *b) {
                best = Some((
                    score,
                    RouteMatch {
                        route,
                        path_parameters: parameters,
                    },
                ));
            }
        }
        best.map(|(_, m)| m).or_else(|| {
            self.routes
                .iter()
                .find(|r| r.segments.is_none())
                .map(|route| RouteMatch {
                    route,
                    path_parameters: BTreeMap::new(),
                })
        })
    }
}

fn split(path: &str) -> Vec<&str> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    }
}

fn parse_path(path: &str) -> Vec<Segment> {
    split(path)
        .into_iter()
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => match name.strip_suffix('+') {
                    Some(name) => Segment::Greedy(name.to_owned()),
                    None => Segment::Param(name.to_owned()),
                },
                None => Segment::Literal(seg.to_owned()),
            },
        )
        .collect()
}

fn match_segments(route: &[Segment], request: &[&str]) -> Option<BTreeMap<String, String>> {
    let mut parameters = BTreeMap::new();
    for (i, segment) in route.iter().enumerate() {
        match segment {
            Segment::Greedy(name) => {
                let rest = request.get(i..)?;
                if rest.is_empty() {
                    return None;
                }
                parameters.insert(name.clone(), rest.join("/"));
                return Some(parameters);
            }
            Segment::Literal(literal) => {
                if request.get(i) != Some(&literal.as_str()) {
                    return None;
                }
            }
            Segment::Param(name) => {
                let value = request.get(i).filter(|v| !v.is_empty())?;
                parameters.insert(name.clone(), (*value).to_owned());
            }
        }
    }
    (route.len() == request.len()).then_some(parameters)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(routes: &[&str]) -> RouteTable {
        let mut table = RouteTable::default();
        for r in routes {
            let route = if *r == "$default" {
                HttpApiRoute::Default
            } else {
                let (m, p) = r.split_once(' ').unwrap();
                HttpApiRoute::Route {
                    method: match m {
                        "ANY" => None,
                        "GET" => Some(HttpMethod::Get),
                        _ => Some(HttpMethod::Post),
                    },
                    path: p.into(),
                }
            };
            table.add(&route, format!("fn:{r}"));
        }
        table
    }

    fn pick(table: &RouteTable, method: &str, path: &str) -> Option<String> {
        let method: http::Method = method.parse().unwrap();
        table.find(&method, path).map(|m| {
            let params: Vec<String> = m
                .path_parameters
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!("{} {}", m.route.route_key, params.join(","))
                .trim()
                .to_owned()
        })
    }

    #[test]
    fn the_lesson_route_matches_only_post_slash() {
        let t = table(&["POST /"]);
        assert_eq!(pick(&t, "POST", "/").as_deref(), Some("POST /"));
        assert_eq!(pick(&t, "GET", "/"), None);
        assert_eq!(pick(&t, "POST", "/other"), None);
    }

    #[test]
    fn most_specific_route_wins() {
        let t = table(&[
            "ANY /items/{proxy+}",
            "GET /items/{id}",
            "GET /items/special",
            "ANY /items/{id}",
            "$default",
        ]);
        assert_eq!(
            pick(&t, "GET", "/items/special").unwrap(),
            "GET /items/special"
        );
        assert_eq!(pick(&t, "GET", "/items/7").unwrap(), "GET /items/{id} id=7");
        assert_eq!(
            pick(&t, "POST", "/items/7").unwrap(),
            "ANY /items/{id} id=7"
        );
        assert_eq!(
            pick(&t, "GET", "/items/7/parts/2").unwrap(),
            "ANY /items/{proxy+} proxy=7/parts/2"
        );
        assert_eq!(pick(&t, "GET", "/elsewhere").unwrap(), "$default");
    }
}
