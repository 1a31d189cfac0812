//! The thin I/O shell of the Graph client: sending a request, reading the
//! answer or the error envelope, following `paging.next`, building URLs.

use super::{appsecret_proof, error, FileUpload, GraphClient, GraphError};
use reqwest::multipart::Part;
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashSet;
use url::Url;

/// Pages of `/me/accounts` followed at most, against a looping `next`.
const MAX_PAGES: usize = 1000;

impl GraphClient {
    pub(super) fn url(&self, segments: &[&str]) -> Url {
        versioned(&self.config.base_url, &self.config.version, segments)
    }

    pub(super) fn get(&self, url: Url, token: &str) -> RequestBuilder {
        self.with_token(self.http.request(Method::GET, url), token)
    }

    pub(super) fn with_token(&self, req: RequestBuilder, token: &str) -> RequestBuilder {
        req.query(&[
            ("access_token", token),
            (
                "appsecret_proof",
                &appsecret_proof(&self.config.app_secret, token),
            ),
        ])
    }

    pub(super) async fn call<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        req: RequestBuilder,
    ) -> Result<T, GraphError> {
        let (status, body) = self.send(operation, req).await?;
        serde_json::from_slice(&body).map_err(|e| GraphError::Decode {
            http_status: status,
            operation,
            message: format!("{e}; body starts {}", snippet(&body)),
        })
    }

    pub(super) async fn call_success(
        &self,
        operation: &'static str,
        req: RequestBuilder,
    ) -> Result<(), GraphError> {
        let v: Value = self.call(operation, req).await?;
        if crate::lenient::flag_of(v.get("success")) {
            Ok(())
        } else {
            Err(GraphError::Unsuccessful {
                operation,
                body: snippet(v.to_string().as_bytes()),
            })
        }
    }

    pub(super) async fn call_attachment_id(
        &self,
        operation: &'static str,
        req: RequestBuilder,
    ) -> Result<String, GraphError> {
        let v: Value = self.call(operation, req).await?;
        v.get("attachment_id")
            .and_then(crate::lenient::id_of)
            .ok_or_else(|| GraphError::Decode {
                http_status: 200,
                operation,
                message: format!("no attachment_id in {}", snippet(v.to_string().as_bytes())),
            })
    }

    /// Sends, returning the status and body of a successful answer, or the
    /// Graph error. An error envelope wins over a 2xx status.
    pub(super) async fn send(
        &self,
        operation: &'static str,
        req: RequestBuilder,
    ) -> Result<(u16, bytes::Bytes), GraphError> {
        let resp = req
            .timeout(self.config.timeout)
            .send()
            .await
            .map_err(GraphError::transport)?;
        let status = resp.status().as_u16();
        let buc = resp
            .headers()
            .get("x-business-use-case-usage")
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned);
        let www_authenticate = resp
            .headers()
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned);
        let body = resp.bytes().await.map_err(GraphError::transport)?;
        tracing::debug!(operation, status, "graph call answered");
        if let Some(err) = error::parse_envelope(status, &body, buc.as_deref()) {
            tracing::info!(operation, error = %err, "graph call failed");
            return Err(err);
        }
        if let Some(err) = error::from_www_authenticate(status, www_authenticate.as_deref()) {
            tracing::info!(operation, error = %err, "graph call failed");
            return Err(err);
        }
        if !(200..300).contains(&status) {
            return Err(GraphError::Decode {
                http_status: status,
                operation,
                message: format!("no error envelope; body starts {}", snippet(&body)),
            });
        }
        Ok((status, body))
    }

    /// Reads `{"data":[…],"paging":{"next":…}}` pages until there is no `next`.
    pub(super) async fn get_all<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        first: Url,
        token: &str,
    ) -> Result<Vec<T>, GraphError> {
        #[derive(Deserialize)]
        struct Page<T> {
            #[serde(default = "Vec::new")]
            data: Vec<T>,
            #[serde(default)]
            paging: Option<Paging>,
        }
        #[derive(Deserialize)]
        struct Paging {
            #[serde(default)]
            next: Option<String>,
        }
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut req = self.get(first, token);
        for _ in 0..MAX_PAGES {
            let page: Page<T> = self.call(operation, req).await?;
            let got = page.data.len();
            out.extend(page.data);
            let Some(next) = page.paging.and_then(|p| p.next) else {
                break;
            };
            if got == 0 || !seen.insert(next.clone()) {
                break;
            }
            req = self.next_page_request(&next, token, operation)?;
        }
        Ok(out)
    }

    /// A request for a `paging.next` URL. The token is only ever sent to our
    /// configured host: a `next` on another host is rebased onto `base_url`.
    pub(super) fn next_page_request(
        &self,
        next: &str,
        token: &str,
        operation: &'static str,
    ) -> Result<RequestBuilder, GraphError> {
        let mut url = Url::parse(next).map_err(|e| GraphError::Decode {
            http_status: 200,
            operation,
            message: format!("paging.next is not a URL: {e}"),
        })?;
        if url.origin() != self.config.base_url.origin() {
            let mut rebased = self.config.base_url.clone();
            rebased.set_path(url.path());
            rebased.set_query(url.query());
            url = rebased;
        }
        let has = |k: &str| url.query_pairs().any(|(n, _)| n == k);
        let (has_token, has_proof) = (has("access_token"), has("appsecret_proof"));
        let mut req = self.http.get(url.clone());
        if !has_token {
            req = self.with_token(req, token);
        } else if !has_proof {
            let given = url
                .query_pairs()
                .find(|(n, _)| n == "access_token")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            req = req.query(&[(
                "appsecret_proof",
                appsecret_proof(&self.config.app_secret, &given),
            )]);
        }
        Ok(req)
    }
}

/// `{base}/{version}/{segments…}`, each segment percent-encoded.
pub(super) fn versioned(base: &Url, version: &str, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().push(version).extend(segments);
    }
    url
}

pub(super) fn file_part(file: &FileUpload) -> Result<Part, GraphError> {
    let len = file.bytes.len() as u64;
    Part::stream_with_length(reqwest::Body::from(file.bytes.clone()), len)
        .file_name(file.filename.clone())
        .mime_str(&file.content_type)
        .map_err(|e| GraphError::InvalidRequest {
            message: format!(
                "content type {:?} is not a MIME type: {e}",
                file.content_type
            ),
        })
}

/// The first bytes of a body, for error messages.
fn snippet(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    let mut out: String = s.chars().take(200).collect();
    if s.chars().count() > 200 {
        out.push('…');
    }
    out
}
