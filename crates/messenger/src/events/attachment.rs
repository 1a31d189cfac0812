//! Inbound attachments. New types appear without notice (stickers, posts,
//! reels, …) and once crashed whole batches in other products, so decoding an
//! attachment never fails: what is not understood becomes
//! [`Attachment::Unknown`] with its type and payload kept.

use crate::lenient;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// One `message.attachments[]` entry. `payload.url` is a Meta CDN URL that
/// expires: download it soon.
#[derive(Debug, Clone, PartialEq)]
pub enum Attachment {
    /// An image or GIF. Legacy stickers came as an image with `sticker_id`.
    Image {
        url: Option<String>,
        sticker_id: Option<String>,
    },
    Audio {
        url: Option<String>,
    },
    Video {
        url: Option<String>,
    },
    File {
        url: Option<String>,
    },
    /// `369239263222822` is the thumbs-up "like" sticker.
    Sticker {
        sticker_id: String,
        url: Option<String>,
    },
    /// A shared link or anything Messenger cannot render natively.
    Fallback {
        url: Option<String>,
        title: Option<String>,
    },
    /// A product share (the payload is kept whole).
    Template {
        payload: Value,
    },
    /// `reel`, `ig_reel`, `post`, `ig_post`.
    Shared {
        kind: SharedKind,
        url: Option<String>,
        title: Option<String>,
        id: Option<String>,
    },
    /// `start_time`/`end_time` are epoch **seconds**.
    AppointmentBooking {
        booking_id: Option<String>,
        status: Option<String>,
        start_time: Option<i64>,
        end_time: Option<i64>,
        timezone: Option<String>,
    },
    /// A type this crate does not know (or a payload it could not read).
    Unknown {
        kind: String,
        payload: Value,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SharedKind {
    Reel,
    IgReel,
    Post,
    IgPost,
}

impl SharedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SharedKind::Reel => "reel",
            SharedKind::IgReel => "ig_reel",
            SharedKind::Post => "post",
            SharedKind::IgPost => "ig_post",
        }
    }
}

/// The sticker id of the thumbs-up "like" sticker.
pub const LIKE_STICKER_ID: &str = "369239263222822";

impl Attachment {
    /// The `type` string Facebook uses.
    pub fn kind(&self) -> &str {
        match self {
            Attachment::Image { .. } => "image",
            Attachment::Audio { .. } => "audio",
            Attachment::Video { .. } => "video",
            Attachment::File { .. } => "file",
            Attachment::Sticker { .. } => "sticker",
            Attachment::Fallback { .. } => "fallback",
            Attachment::Template { .. } => "template",
            Attachment::Shared { kind, .. } => kind.as_str(),
            Attachment::AppointmentBooking { .. } => "appointment_booking",
            Attachment::Unknown { kind, .. } => kind,
        }
    }

    /// The media/link URL, where there is one.
    pub fn url(&self) -> Option<&str> {
        match self {
            Attachment::Image { url, .. }
            | Attachment::Audio { url }
            | Attachment::Video { url }
            | Attachment::File { url }
            | Attachment::Sticker { url, .. }
            | Attachment::Fallback { url, .. }
            | Attachment::Shared { url, .. } => url.as_deref(),
            _ => None,
        }
    }

    /// Reads one attachment object; never fails.
    pub fn from_json(v: &Value) -> Attachment {
        let kind = v.get("type").and_then(Value::as_str).unwrap_or_default();
        let payload = v.get("payload").cloned().unwrap_or(Value::Null);
        let p = |k: &str| payload.get(k).and_then(lenient::id_of);
        // Legacy fallbacks carried url/title beside the payload.
        let p_or_top = |k: &str| p(k).or_else(|| v.get(k).and_then(lenient::id_of));
        let int = |k: &str| payload.get(k).and_then(lenient::int_of);
        match kind {
            "image" => Attachment::Image {
                url: p("url"),
                sticker_id: p("sticker_id"),
            },
            "audio" => Attachment::Audio { url: p("url") },
            "video" => Attachment::Video { url: p("url") },
            "file" => Attachment::File { url: p("url") },
            "sticker" => match p("sticker_id") {
                Some(sticker_id) => Attachment::Sticker {
                    sticker_id,
                    url: p("url"),
                },
                None => Attachment::Unknown {
                    kind: kind.into(),
                    payload,
                },
            },
            "fallback" => Attachment::Fallback {
                url: p_or_top("url"),
                title: p_or_top("title"),
            },
            "template" => Attachment::Template { payload },
            "reel" | "ig_reel" | "post" | "ig_post" => Attachment::Shared {
                kind: match kind {
                    "reel" => SharedKind::Reel,
                    "ig_reel" => SharedKind::IgReel,
                    "post" => SharedKind::Post,
                    _ => SharedKind::IgPost,
                },
                url: p("url"),
                title: p("title"),
                id: p("id"),
            },
            "appointment_booking" => Attachment::AppointmentBooking {
                booking_id: p("booking_id"),
                status: p("status"),
                start_time: int("start_time"),
                end_time: int("end_time"),
                timezone: p("timezone"),
            },
            other => Attachment::Unknown {
                kind: other.into(),
                payload,
            },
        }
    }

    /// Writes the attachment back as Facebook sends it.
    pub fn to_json(&self) -> Value {
        fn obj(pairs: &[(&str, Option<Value>)]) -> Value {
            let m: Map<String, Value> = pairs
                .iter()
                .filter_map(|(k, v)| v.clone().map(|v| ((*k).to_owned(), v)))
                .collect();
            Value::Object(m)
        }
        let s = |v: &Option<String>| v.as_ref().map(|s| json!(s));
        let payload = match self {
            Attachment::Image { url, sticker_id } => obj(&[
                ("url", s(url)),
                (
                    "sticker_id",
                    sticker_id.as_deref().map(lenient::numeric_id_value),
                ),
            ]),
            Attachment::Audio { url } | Attachment::Video { url } | Attachment::File { url } => {
                obj(&[("url", s(url))])
            }
            Attachment::Sticker { sticker_id, url } => obj(&[
                ("url", s(url)),
                ("sticker_id", Some(lenient::numeric_id_value(sticker_id))),
            ]),
            Attachment::Fallback { url, title } => {
                if url.is_none() && title.is_none() {
                    Value::Null
                } else {
                    obj(&[("url", s(url)), ("title", s(title))])
                }
            }
            Attachment::Template { payload } | Attachment::Unknown { payload, .. } => {
                payload.clone()
            }
            Attachment::Shared { url, title, id, .. } => {
                obj(&[("url", s(url)), ("title", s(title)), ("id", s(id))])
            }
            Attachment::AppointmentBooking {
                booking_id,
                status,
                start_time,
                end_time,
                timezone,
            } => obj(&[
                ("booking_id", s(booking_id)),
                ("status", s(status)),
                ("start_time", start_time.map(Value::from)),
                ("end_time", end_time.map(Value::from)),
                ("timezone", s(timezone)),
            ]),
        };
        let mut m = Map::new();
        m.insert("type".into(), json!(self.kind()));
        if !payload.is_null() {
            m.insert("payload".into(), payload);
        }
        Value::Object(m)
    }
}

impl<'de> Deserialize<'de> for Attachment {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(|v| Attachment::from_json(&v))
    }
}

impl Serialize for Attachment {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Written field by field so `type` precedes `payload`, as Facebook does.
        use serde::ser::SerializeMap;
        let v = self.to_json();
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("type", &v["type"])?;
        if let Some(p) = v.get("payload") {
            map.serialize_entry("payload", p)?;
        }
        map.end()
    }
}

/// Undoes the sticker transition (until 2026-08-30 Facebook sends a sticker
/// as both an `image` and a `sticker` attachment; before, as an image with
/// `sticker_id`). The result holds each sticker once, as a `Sticker`:
/// - an image whose `sticker_id` or URL matches a sticker is dropped;
/// - an image with no `sticker_id` is dropped when the message is exactly one
///   image plus one sticker (the transition shape; Messenger never sends a
///   photo together with a sticker);
/// - a lone legacy image with a `sticker_id` becomes a `Sticker`.
pub fn dedupe_stickers(attachments: &[Attachment]) -> Vec<Attachment> {
    let stickers: Vec<(&str, Option<&str>)> = attachments
        .iter()
        .filter_map(|a| match a {
            Attachment::Sticker { sticker_id, url } => Some((sticker_id.as_str(), url.as_deref())),
            _ => None,
        })
        .collect();
    let transition_pair = attachments.len() == 2 && stickers.len() == 1;
    let mut out: Vec<Attachment> = Vec::with_capacity(attachments.len());
    for a in attachments {
        match a {
            Attachment::Image { url, sticker_id } => {
                let matches = stickers.iter().any(|(id, surl)| {
                    sticker_id.as_deref() == Some(*id) || (url.is_some() && url.as_deref() == *surl)
                });
                if matches || (transition_pair && sticker_id.is_none()) {
                    continue;
                }
                match sticker_id {
                    Some(id) => {
                        let sticker = Attachment::Sticker {
                            sticker_id: id.clone(),
                            url: url.clone(),
                        };
                        if !out.contains(&sticker) {
                            out.push(sticker);
                        }
                    }
                    None => out.push(a.clone()),
                }
            }
            other => out.push(other.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sticker(id: &str, url: &str) -> Attachment {
        Attachment::Sticker {
            sticker_id: id.into(),
            url: Some(url.into()),
        }
    }

    #[test]
    fn an_image_twin_of_a_sticker_is_dropped() {
        let image = Attachment::Image {
            url: Some("https://cdn/s.png".into()),
            sticker_id: Some("369239263222822".into()),
        };
        let s = sticker("369239263222822", "https://cdn/s.png");
        assert_eq!(
            dedupe_stickers(&[image.clone(), s.clone()]),
            vec![s.clone()]
        );
        // Matching by URL alone, and the transition pair without any id.
        let by_url = Attachment::Image {
            url: Some("https://cdn/s.png".into()),
            sticker_id: None,
        };
        assert_eq!(dedupe_stickers(&[s.clone(), by_url]), vec![s.clone()]);
        let bare = Attachment::Image {
            url: Some("https://cdn/other.png".into()),
            sticker_id: None,
        };
        assert_eq!(dedupe_stickers(&[bare, s.clone()]), vec![s]);
    }

    #[test]
    fn a_legacy_image_sticker_becomes_a_sticker() {
        let image = Attachment::Image {
            url: Some("https://cdn/s.png".into()),
            sticker_id: Some("42".into()),
        };
        assert_eq!(
            dedupe_stickers(&[image]),
            vec![sticker("42", "https://cdn/s.png")]
        );
    }

    #[test]
    fn ordinary_images_are_kept() {
        let a = Attachment::Image {
            url: Some("https://cdn/a.png".into()),
            sticker_id: None,
        };
        let b = Attachment::Image {
            url: Some("https://cdn/b.png".into()),
            sticker_id: None,
        };
        assert_eq!(dedupe_stickers(&[a.clone(), b.clone()]), vec![a, b]);
    }

    #[test]
    fn an_unknown_type_keeps_its_payload() {
        let v = json!({"type": "ig_story", "payload": {"url": "https://x", "id": 5}});
        let a = Attachment::from_json(&v);
        assert_eq!(
            a,
            Attachment::Unknown {
                kind: "ig_story".into(),
                payload: json!({"url": "https://x", "id": 5})
            }
        );
        assert_eq!(a.to_json(), v);
    }

    #[test]
    fn a_sticker_without_an_id_is_kept_as_unknown() {
        let a = Attachment::from_json(&json!({"type": "sticker", "payload": {"url": "https://x"}}));
        assert_eq!(a.kind(), "sticker");
        assert!(matches!(a, Attachment::Unknown { .. }));
    }
}
