//! Serverless Framework variables: `${self:service}`, `${sls:stage}`,
//! `${opt:stage, 'dev'}`, `${env:NAME}`, `${construct:jobs.queueUrl}`
//! (serverless.com/framework/docs/guides/variables; Lift's construct
//! variables: `queueUrl`, `queueArn`, `dlqUrl`, `dlqArn`).
//!
//! Every `${...}` in a string is replaced; a default after a comma is used
//! when the source has no value. Sources localcloud cannot answer locally
//! (`ssm`, `cf`, `s3`, `file`...) are refused with the key that uses them.

use std::collections::BTreeMap;

use super::ResolveContext;

pub(super) struct Variables<'a> {
    pub(super) service: &'a str,
    pub(super) stage: &'a str,
    pub(super) region: &'a str,
    /// The whole file, for `${self:...}`.
    pub(super) file: &'a serde_yaml_ng::Value,
    pub(super) context: &'a ResolveContext,
    /// Construct id -> output name -> value.
    pub(super) constructs: BTreeMap<String, BTreeMap<&'static str, String>>,
}

impl Variables<'_> {
    /// Replaces every variable in `text`; `at` names the key, for messages.
    pub(super) fn resolve(&self, text: &str, at: &str) -> Result<String, String> {
        self.resolve_depth(text, at, 0)
    }

    fn resolve_depth(&self, text: &str, at: &str, depth: usize) -> Result<String, String> {
        if depth > 8 {
            return Err(format!("{at}: variables refer to each other in a loop"));
        }
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| format!("{at}: unclosed variable in {text:?}"))?;
            let inner = &after[..end];
            if inner.contains("${") {
                return Err(format!(
                    "{at}: nested variables (${{...${{...}}}}) are not supported by localcloud"
                ));
            }
            let value = self.one(inner, at)?;
            out.push_str(&self.resolve_depth(&value, at, depth + 1)?);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// One variable, `source:address[, default]`.
    fn one(&self, inner: &str, at: &str) -> Result<String, String> {
        let (reference, default) = match inner.split_once(',') {
            Some((r, d)) => (r.trim(), Some(unquote(d.trim()))),
            None => (inner.trim(), None),
        };
        let (source, address) = reference.split_once(':').ok_or_else(|| {
            format!("{at}: ${{{reference}}} is not a variable (expected source:address)")
        })?;
        let found: Option<String> = match source {
            "self" => lookup(self.file, address),
            "sls" => match address {
                "stage" => Some(self.stage.to_owned()),
                "instanceId" => Some("localcloud".to_owned()),
                _ => {
                    return Err(format!(
                        "{at}: ${{sls:{address}}} is not supported (supported: sls:stage, sls:instanceId)"
                    ));
                }
            },
            "opt" => match address {
                "stage" => self.context.stage.clone(),
                "region" => self.context.region.clone(),
                _ => None,
            },
            "env" => std::env::var(address).ok(),
            "construct" => {
                let (id, output) = address.split_once('.').ok_or_else(|| {
                    format!("{at}: ${{construct:{address}}} must be construct:ID.output")
                })?;
                let outputs = self
                    .constructs
                    .get(id)
                    .ok_or_else(|| format!("{at}: ${{construct:{address}}}: there is no construct {id:?} under `constructs:`"))?;
                Some(outputs.get(output).cloned().ok_or_else(|| {
                    format!(
                        "{at}: ${{construct:{address}}}: a queue construct offers {} (not {output:?})",
                        outputs.keys().copied().collect::<Vec<_>>().join(", ")
                    )
                })?)
            }
            other => {
                return Err(format!(
                    "{at}: variable source `{other}:` is not supported by localcloud (supported: self, sls, opt, env, construct)"
                ));
            }
        };
        match (found, default) {
            (Some(v), _) => Ok(v),
            (None, Some(d)) => Ok(d),
            (None, None) => Err(format!(
                "{at}: ${{{reference}}} has no value and no default (write ${{{reference}, 'value'}})"
            )),
        }
    }

    /// The service's stack name, the prefix of every resource name.
    pub(super) fn stack_name(&self) -> String {
        format!("{}-{}", self.service, self.stage)
    }

    pub(super) fn queue_url(&self, name: &str) -> String {
        format!(
            "{}/{}/{name}",
            self.context.sqs_endpoint_url.trim_end_matches('/'),
            self.context.account_id
        )
    }

    pub(super) fn table_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:dynamodb:{}:{}:table/{name}",
            self.region, self.context.account_id
        )
    }

    pub(super) fn queue_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:sqs:{}:{}:{name}",
            self.region, self.context.account_id
        )
    }
}

fn unquote(text: &str) -> String {
    let t = text.trim();
    for q in ['\'', '"'] {
        if let Some(inner) = t.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner.to_owned();
        }
    }
    t.to_owned()
}

/// `${self:provider.stage}`: a dotted path into the file.
fn lookup(file: &serde_yaml_ng::Value, address: &str) -> Option<String> {
    let mut value = file;
    for part in address.split('.') {
        value = value.get(part)?;
    }
    match value {
        serde_yaml_ng::Value::String(s) => Some(s.clone()),
        serde_yaml_ng::Value::Number(n) => Some(n.to_string()),
        serde_yaml_ng::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
