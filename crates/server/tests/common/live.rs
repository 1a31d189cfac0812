//! Every live event a test sees is checked against its documented shape:
//! the `LiveEventFrame` schema of the OpenAPI document (a small validator
//! for the parts of JSON Schema the document uses). So each kind's shape is
//! asserted wherever a test meets it, over a real WebSocket or in the log.

use std::sync::OnceLock;

use serde_json::Value;

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(&server::routes::openapi_json()).unwrap())
}

/// Panics unless `frame` (a text frame of `/api/v1/events`) matches the
/// document's `LiveEventFrame`.
pub fn assert_documented(frame: &Value) {
    let schema = &document()["components"]["schemas"]["LiveEventFrame"];
    if let Err(problem) = check(schema, frame, "frame") {
        panic!("a live event does not match the document: {problem}\n{frame:#}");
    }
}

/// `(kind, data)` as logged, checked as a frame.
pub fn assert_logged_documented(kind: &str, data: &Value) {
    assert_documented(&serde_json::json!({
        "seq": 1, "type": kind, "at": "2026-01-01T00:00:00Z", "data": data
    }));
}

fn resolve(reference: &str) -> &'static Value {
    let pointer = reference.strip_prefix('#').expect("a local reference");
    document().pointer(pointer).expect("the reference resolves")
}

fn check(schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        return check(resolve(reference), value, at);
    }
    if let Some(all) = schema["allOf"].as_array() {
        for part in all {
            check(part, value, at)?;
        }
    }
    if let Some(options) = schema["oneOf"].as_array() {
        if let Some(property) = schema["discriminator"]["propertyName"].as_str() {
            let tag = value[property].as_str().unwrap_or_default();
            if let Some(target) = schema["discriminator"]["mapping"][tag].as_str() {
                return check(resolve(target), value, at);
            }
        }
        let errors: Vec<String> = options
            .iter()
            .filter_map(|option| check(option, value, at).err())
            .collect();
        if errors.len() == options.len() {
            return Err(format!("{at}: matches no option: {errors:?}"));
        }
        return Ok(());
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            return Err(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() {
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let fits = types.contains(&actual) || (actual == "integer" && types.contains(&"number"));
        if !fits {
            return Err(format!("{at}: {actual} where {types:?} is documented"));
        }
    }
    if let (Some(object), Some(properties)) = (value.as_object(), schema["properties"].as_object())
    {
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap();
            if !object.contains_key(name) {
                return Err(format!("{at}: `{name}` is missing"));
            }
        }
        for (name, field) in object {
            match properties.get(name) {
                Some(property) => check(property, field, &format!("{at}.{name}"))?,
                None if schema["allOf"].is_null() => {
                    return Err(format!("{at}: `{name}` is not documented"));
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(schema_items)) = (value.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check(schema_items, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}
