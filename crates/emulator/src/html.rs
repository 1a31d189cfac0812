//! Server-rendered pages: the login dialog, the index of Pages and visitors,
//! and the visitor's side of a Messenger chat. Plain HTML forms; the chat
//! page adds a little vanilla JS that polls the thread.

use axum::response::Html;

use crate::world::{Page, User, Visitor, World};

const PERMISSION_TEXT: [(&str, &str); 4] = messenger::graph::PERMISSION_TOGGLES;

/// HTML-escapes text for element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn layout(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:640px;margin:2em auto;color:#1c1e21}}\
.box{{border:1px solid #dddfe2;border-radius:8px;padding:1em 1.5em}}label{{display:block;margin:.4em 0}}\
button{{padding:.5em 1.2em;margin-right:.5em}}.primary{{background:#1877f2;color:#fff;border:0;border-radius:6px}}\
.msg{{margin:.3em 0;padding:.4em .8em;border-radius:14px;max-width:75%;clear:both}}\
.page{{background:#e4e6eb;float:left}}.visitor{{background:#0084ff;color:#fff;float:right}}\
.meta{{font-size:.75em;color:#65676b;clear:both}}#thread{{overflow:auto}}</style></head>\
<body>{}</body></html>",
        esc(title),
        body
    ))
}

pub fn error_page(message: &str) -> Html<String> {
    layout(
        "Facebook emulator — error",
        &format!(
            "<div class=\"box\"><h1>Sorry, something went wrong</h1><p>{}</p></div>",
            esc(message)
        ),
    )
}

fn hidden(q: &[(String, String)], skip: &[&str]) -> String {
    q.iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                esc(k),
                esc(v)
            )
        })
        .collect()
}

/// "Log in as…" when several users exist.
pub fn dialog_user_picker(world: &World, ver: &str, q: &[(String, String)]) -> Html<String> {
    let users: String = world
        .users
        .values()
        .enumerate()
        .map(|(i, u)| {
            format!(
                "<label><input type=\"radio\" name=\"emulator_user\" value=\"{}\"{}> {}</label>",
                esc(&u.id),
                if i == 0 { " checked" } else { "" },
                esc(&u.name)
            )
        })
        .collect();
    let body = if users.is_empty() {
        "<div class=\"box\"><h1>Log in to Facebook</h1><p>No users exist yet. Create one with <code>POST /_emulator/users</code>.</p></div>".to_owned()
    } else {
        format!(
            "<div class=\"box\"><h1>Log in to Facebook</h1><form method=\"get\" action=\"/{}/dialog/oauth\">{}{}\
<button class=\"primary\" type=\"submit\">Continue</button></form></div>",
            esc(ver),
            hidden(q, &["emulator_user"]),
            users
        )
    };
    layout("Log in to Facebook", &body)
}

/// The consent screen: tick Pages and the four permissions, continue or cancel.
pub fn dialog_consent(
    app_name: &str,
    ver: &str,
    q: &[(String, String)],
    user: &User,
    pages: &[&Page],
    scopes: &[String],
) -> Html<String> {
    let page_boxes: String = if pages.is_empty() {
        "<p>You don't manage any Pages.</p>".to_owned()
    } else {
        pages
            .iter()
            .map(|p| {
                format!(
                    "<label><input type=\"checkbox\" name=\"page\" value=\"{}\" checked> {}</label>",
                    esc(&p.id),
                    esc(&p.name)
                )
            })
            .collect()
    };
    let perm_boxes: String = scopes
        .iter()
        .map(|s| {
            let text = PERMISSION_TEXT
                .iter()
                .find(|(p, _)| p == s)
                .map(|(_, t)| *t)
                .unwrap_or(s.as_str());
            format!(
                "<label><input type=\"checkbox\" name=\"perm\" value=\"{}\" checked> {}</label>",
                esc(s),
                esc(text)
            )
        })
        .collect();
    let body = format!(
        "<div class=\"box\"><h1>{app} is requesting access</h1><p>Logged in as <b>{user}</b>.</p>\
<form method=\"post\" action=\"/{ver}/dialog/oauth\">{hidden}<input type=\"hidden\" name=\"user_id\" value=\"{uid}\">\
<h2>What Pages do you want {app} to access?</h2>{page_boxes}\
<h2>What is {app} allowed to do?</h2>{perm_boxes}\
<p><button class=\"primary\" type=\"submit\" name=\"action\" value=\"continue\">Continue</button>\
<button type=\"submit\" name=\"action\" value=\"cancel\">Cancel</button></p></form></div>",
        app = esc(app_name),
        user = esc(&user.name),
        uid = esc(&user.id),
        ver = esc(ver),
        hidden = hidden(q, &["emulator_user", "user_id", "page", "perm", "action"]),
    );
    layout("Log in with Facebook", &body)
}

/// `/_emulator/`: Pages, their visitors (linking to the chat page) and users.
pub fn index(world: &World) -> Html<String> {
    let mut body = String::from("<h1>Facebook emulator</h1><h2>Pages</h2>");
    if world.pages.is_empty() {
        body.push_str("<p>No Pages yet: <code>POST /_emulator/pages</code>.</p>");
    }
    for page in world.pages.values() {
        let subscribed = page
            .subscribed_fields
            .as_ref()
            .map(|f| f.join(", "))
            .unwrap_or_else(|| "app not subscribed".into());
        body.push_str(&format!(
            "<div class=\"box\"><h3>{} <small>({})</small></h3><p class=\"meta\">{}</p><ul>",
            esc(&page.name),
            esc(&page.id),
            esc(&subscribed)
        ));
        for v in world.visitors.values().filter(|v| v.page_id == page.id) {
            body.push_str(&format!(
                "<li><a href=\"/_emulator/chat/{}/{}\">{} {}</a> <small>{}</small></li>",
                esc(&page.id),
                esc(&v.psid),
                esc(&v.first_name),
                esc(&v.last_name),
                esc(&v.psid)
            ));
        }
        body.push_str("</ul></div>");
    }
    body.push_str("<h2>Users</h2><ul>");
    for u in world.users.values() {
        body.push_str(&format!(
            "<li>{} <small>{}</small></li>",
            esc(&u.name),
            esc(&u.id)
        ));
    }
    body.push_str("</ul>");
    layout("Facebook emulator", &body)
}

/// The visitor's Messenger: the thread, refreshed every second, and a box
/// to write to the Page as this visitor.
pub fn chat(page: &Page, visitor: &Visitor) -> Html<String> {
    let body = format!(
        "<h1>{page_name}</h1><p class=\"meta\">You are {first} {last} (PSID {psid}). <a href=\"/_emulator/\">All Pages</a></p>\
<div id=\"thread\" class=\"box\"></div>\
<form id=\"send\"><p><input id=\"text\" autocomplete=\"off\" style=\"width:70%\" placeholder=\"Aa\">\
<button class=\"primary\" type=\"submit\">Send</button><button type=\"button\" id=\"read\">Mark read</button></p></form>\
<script>\
const psid={psid_js};const thread=document.getElementById('thread');\
function el(tag,cls,text){{const e=document.createElement(tag);if(cls)e.className=cls;if(text!==undefined)e.textContent=text;return e;}}\
async function refresh(){{const r=await fetch('/_emulator/visitors/'+psid+'/thread');if(!r.ok)return;const items=await r.json();\
thread.replaceChildren();for(const i of items){{if(i.kind==='sender_action'){{if(i.sender_action==='typing_on')thread.append(el('div','meta','typing…'));continue;}}\
if(i.kind==='delivery'||i.kind==='read'){{continue;}}\
let text=i.text||'';if(i.kind==='postback')text='▶ '+text;if(i.kind==='reaction')text='reacted '+text;if(i.kind==='edit')text='(edited) '+text;\
const box=el('div','msg '+(i.from==='page'?'page':'visitor'),text);\
for(const a of i.attachments){{const link=el('a',null,' ['+a.kind+(a.filename?': '+a.filename:'')+']');if(a.url)link.href=a.url;box.append(link);}}\
thread.append(box);}}thread.append(el('div','meta'));}}\
document.getElementById('send').addEventListener('submit',async e=>{{e.preventDefault();const t=document.getElementById('text');if(!t.value)return;\
await fetch('/_emulator/visitors/'+psid+'/events',{{method:'POST',headers:{{'content-type':'application/json'}},body:JSON.stringify({{type:'text',text:t.value}})}});t.value='';refresh();}});\
document.getElementById('read').addEventListener('click',async()=>{{await fetch('/_emulator/visitors/'+psid+'/events',{{method:'POST',headers:{{'content-type':'application/json'}},body:JSON.stringify({{type:'read'}})}});}});\
refresh();setInterval(refresh,1000);</script>",
        page_name = esc(&page.name),
        first = esc(&visitor.first_name),
        last = esc(&visitor.last_name),
        psid = esc(&visitor.psid),
        psid_js = serde_json::to_string(&visitor.psid).unwrap_or_default().replace('<', "\\u003c"),
    );
    layout(&format!("{} — Messenger", page.name), &body)
}
