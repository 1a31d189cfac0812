//! Send API request bodies, built as JSON exactly as the Send API documents.

use serde_json::{json, Map, Value};

/// Who receives a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// A page-scoped user id (PSID).
    Id(String),
    /// A chat-plugin / checkbox `user_ref`.
    UserRef(String),
    /// A private reply to a visitor post.
    PostId(String),
    /// A private reply to a comment.
    CommentId(String),
}

impl Recipient {
    pub fn to_json(&self) -> Value {
        match self {
            Recipient::Id(id) => json!({ "id": id }),
            Recipient::UserRef(r) => json!({ "user_ref": r }),
            Recipient::PostId(p) => json!({ "post_id": p }),
            Recipient::CommentId(c) => json!({ "comment_id": c }),
        }
    }
}

/// The `HUMAN_AGENT` tag: human replies up to 7 days after the last message.
pub const HUMAN_AGENT: &str = "HUMAN_AGENT";

/// `messaging_type` (and `tag` for `MESSAGE_TAG`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MessagingType {
    /// A reply inside the 24-hour window.
    #[default]
    Response,
    /// A proactive message inside the window.
    Update,
    /// Outside the window, with a tag such as [`HUMAN_AGENT`].
    MessageTag(String),
}

impl MessagingType {
    pub fn human_agent() -> Self {
        MessagingType::MessageTag(HUMAN_AGENT.to_owned())
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            MessagingType::Response => "RESPONSE",
            MessagingType::Update => "UPDATE",
            MessagingType::MessageTag(_) => "MESSAGE_TAG",
        }
    }

    pub fn tag(&self) -> Option<&str> {
        match self {
            MessagingType::MessageTag(t) => Some(t),
            _ => None,
        }
    }
}

/// Attachment types accepted by the Send and Attachment Upload APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttachmentKind {
    Image,
    Audio,
    Video,
    File,
    Template,
}

impl AttachmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentKind::Image => "image",
            AttachmentKind::Audio => "audio",
            AttachmentKind::Video => "video",
            AttachmentKind::File => "file",
            AttachmentKind::Template => "template",
        }
    }

    /// Parses `image|audio|video|file|template`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "image" => AttachmentKind::Image,
            "audio" => AttachmentKind::Audio,
            "video" => AttachmentKind::Video,
            "file" => AttachmentKind::File,
            "template" => AttachmentKind::Template,
            _ => return None,
        })
    }

    /// The natural kind for a MIME type (`image/png` → image, …, else file).
    /// GIFs are images; anything unrecognised is sent as a file.
    pub fn for_content_type(content_type: &str) -> Self {
        let top = content_type.split('/').next().unwrap_or_default();
        match top.trim().to_ascii_lowercase().as_str() {
            "image" => AttachmentKind::Image,
            "audio" => AttachmentKind::Audio,
            "video" => AttachmentKind::Video,
            _ => AttachmentKind::File,
        }
    }
}

/// Where the bytes of an outgoing attachment come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachmentSource {
    /// Facebook fetches the URL (≤ 8 MB images, 10 s timeout).
    Url { url: String, is_reusable: bool },
    /// An id from the Attachment Upload API (private to the Page, 90 days).
    Id(String),
}

/// The `message` of a send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutgoingMessage {
    Text(String),
    Attachment {
        kind: AttachmentKind,
        source: AttachmentSource,
    },
    Sticker(String),
}

/// A quick-reply button offered under a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuickReply {
    pub title: String,
    pub payload: String,
}

/// One `POST /{page}/messages` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRequest {
    pub recipient: Recipient,
    pub messaging_type: MessagingType,
    pub message: OutgoingMessage,
    /// Echoed back in `message_echoes` (< 1000 chars): use it to match echoes.
    pub metadata: Option<String>,
    /// The `mid` to quote (`reply_to` at top level).
    pub reply_to: Option<String>,
    pub quick_replies: Vec<QuickReply>,
}

impl SendRequest {
    /// A plain text reply to a PSID inside the window.
    pub fn text(psid: impl Into<String>, text: impl Into<String>) -> Self {
        SendRequest {
            recipient: Recipient::Id(psid.into()),
            messaging_type: MessagingType::Response,
            message: OutgoingMessage::Text(text.into()),
            metadata: None,
            reply_to: None,
            quick_replies: Vec::new(),
        }
    }

    /// An attachment by URL or by attachment id, to a PSID inside the window.
    pub fn attachment(
        psid: impl Into<String>,
        kind: AttachmentKind,
        source: AttachmentSource,
    ) -> Self {
        SendRequest {
            message: OutgoingMessage::Attachment { kind, source },
            ..SendRequest::text(psid, "")
        }
    }

    pub fn with_messaging_type(mut self, t: MessagingType) -> Self {
        self.messaging_type = t;
        self
    }

    pub fn with_metadata(mut self, m: impl Into<String>) -> Self {
        self.metadata = Some(m.into());
        self
    }

    pub fn with_reply_to(mut self, mid: impl Into<String>) -> Self {
        self.reply_to = Some(mid.into());
        self
    }

    /// Offers text quick-reply buttons (`title`, `payload`) under the message.
    pub fn with_quick_replies(
        mut self,
        replies: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        self.quick_replies = replies
            .into_iter()
            .map(|(title, payload)| QuickReply { title, payload })
            .collect();
        self
    }

    /// The JSON body, e.g.
    /// `{"recipient":{"id":"…"},"messaging_type":"RESPONSE","message":{"text":"Hello","metadata":"crm:42"}}`.
    pub fn to_json(&self) -> Value {
        let mut message = match &self.message {
            OutgoingMessage::Text(t) => json!({ "text": t }),
            OutgoingMessage::Attachment { kind, source } => {
                json!({ "attachment": attachment_json(*kind, source) })
            }
            OutgoingMessage::Sticker(id) => {
                json!({ "sticker_id": crate::lenient::numeric_id_value(id) })
            }
        };
        if !self.quick_replies.is_empty() {
            message["quick_replies"] = self
                .quick_replies
                .iter()
                .map(|q| json!({"content_type": "text", "title": q.title, "payload": q.payload}))
                .collect();
        }
        if let Some(m) = &self.metadata {
            message["metadata"] = json!(m);
        }
        let mut body = Map::new();
        body.insert("recipient".into(), self.recipient.to_json());
        messaging_fields(&mut body, &self.messaging_type);
        body.insert("message".into(), message);
        if let Some(mid) = &self.reply_to {
            body.insert("reply_to".into(), json!({ "mid": mid }));
        }
        Value::Object(body)
    }
}

pub(crate) fn messaging_fields(body: &mut Map<String, Value>, t: &MessagingType) {
    body.insert("messaging_type".into(), json!(t.as_str()));
    if let Some(tag) = t.tag() {
        body.insert("tag".into(), json!(tag));
    }
}

/// `{"type":…,"payload":{…}}` for a send or an upload.
pub(crate) fn attachment_json(kind: AttachmentKind, source: &AttachmentSource) -> Value {
    let payload = match source {
        AttachmentSource::Url { url, is_reusable } => {
            json!({ "url": url, "is_reusable": is_reusable })
        }
        AttachmentSource::Id(id) => json!({ "attachment_id": id }),
    };
    json!({ "type": kind.as_str(), "payload": payload })
}

/// A `sender_action` (typing indicators, seen, reactions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SenderAction {
    TypingOn,
    TypingOff,
    MarkSeen,
    /// React to `message_id` with `reaction` (e.g. `love`, or an emoji).
    React {
        message_id: String,
        reaction: String,
    },
    Unreact {
        message_id: String,
    },
}

impl SenderAction {
    pub fn to_json(&self, psid: &str) -> Value {
        let mut body = json!({ "recipient": { "id": psid } });
        let (name, payload) = match self {
            SenderAction::TypingOn => ("typing_on", None),
            SenderAction::TypingOff => ("typing_off", None),
            SenderAction::MarkSeen => ("mark_seen", None),
            SenderAction::React {
                message_id,
                reaction,
            } => (
                "react",
                Some(json!({ "message_id": message_id, "reaction": reaction })),
            ),
            SenderAction::Unreact { message_id } => {
                ("unreact", Some(json!({ "message_id": message_id })))
            }
        };
        body["sender_action"] = json!(name);
        if let Some(p) = payload {
            body["payload"] = p;
        }
        body
    }
}

/// A file to upload as multipart `filedata`.
#[derive(Clone, PartialEq, Eq)]
pub struct FileUpload {
    pub kind: AttachmentKind,
    pub filename: String,
    /// Sent as the part's Content-Type (audio needs `audio/*`).
    pub content_type: String,
    pub bytes: bytes::Bytes,
}

impl std::fmt::Debug for FileUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileUpload")
            .field("kind", &self.kind)
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_reply_has_the_documented_shape() {
        let r = SendRequest::text("123", "Hello").with_metadata("crm:42");
        assert_eq!(
            r.to_json(),
            json!({"recipient":{"id":"123"},"messaging_type":"RESPONSE",
                   "message":{"text":"Hello","metadata":"crm:42"}})
        );
    }

    #[test]
    fn a_human_agent_reply_carries_the_tag_and_the_quote() {
        let r = SendRequest::text("123", "Sorry for the wait")
            .with_messaging_type(MessagingType::human_agent())
            .with_reply_to("m_1");
        let v = r.to_json();
        assert_eq!(v["messaging_type"], "MESSAGE_TAG");
        assert_eq!(v["tag"], "HUMAN_AGENT");
        assert_eq!(v["reply_to"], json!({"mid": "m_1"}));
    }

    #[test]
    fn quick_replies_are_text_buttons_inside_the_message() {
        let r = SendRequest::text("1", "Which colour?")
            .with_quick_replies([("Red".to_owned(), "COLOR_RED".to_owned())]);
        assert_eq!(
            r.to_json()["message"],
            json!({"text": "Which colour?",
                   "quick_replies": [{"content_type": "text", "title": "Red", "payload": "COLOR_RED"}]})
        );
    }

    #[test]
    fn attachments_are_sent_by_url_or_by_id() {
        let by_url = SendRequest::attachment(
            "1",
            AttachmentKind::Image,
            AttachmentSource::Url {
                url: "https://x/a.png".into(),
                is_reusable: true,
            },
        );
        assert_eq!(
            by_url.to_json()["message"],
            json!({"attachment":{"type":"image","payload":{"url":"https://x/a.png","is_reusable":true}}})
        );
        let by_id =
            SendRequest::attachment("1", AttachmentKind::File, AttachmentSource::Id("99".into()));
        assert_eq!(
            by_id.to_json()["message"],
            json!({"attachment":{"type":"file","payload":{"attachment_id":"99"}}})
        );
    }

    #[test]
    fn a_reaction_sender_action_names_the_message() {
        let v = SenderAction::React {
            message_id: "m_9".into(),
            reaction: "love".into(),
        }
        .to_json("7");
        assert_eq!(
            v,
            json!({"recipient":{"id":"7"},"sender_action":"react","payload":{"message_id":"m_9","reaction":"love"}})
        );
        assert_eq!(
            SenderAction::TypingOn.to_json("7")["sender_action"],
            "typing_on"
        );
    }

    #[test]
    fn content_types_pick_the_attachment_kind() {
        assert_eq!(
            AttachmentKind::for_content_type("image/gif"),
            AttachmentKind::Image
        );
        assert_eq!(
            AttachmentKind::for_content_type("audio/mpeg"),
            AttachmentKind::Audio
        );
        assert_eq!(
            AttachmentKind::for_content_type("application/pdf"),
            AttachmentKind::File
        );
    }
}
