//! The admin API's OpenAPI document checked against what the server answers: a small
//! structural validator (types, required properties, nested objects, arrays, `$ref`
//! into components, `oneOf`/`anyOf`/`allOf`) and the lookup of the schema the document
//! gives for a path, method and status.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;

/// Whether `value` fits `schema` (resolving `$ref`s in `doc`); the first misfit, named
/// by its JSON path.
pub fn validate(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/components/schemas/").ok_or_else(|| format!("{at}: foreign $ref {r}"))?;
        let target = doc["components"]["schemas"].get(name).ok_or_else(|| format!("{at}: no schema {name}"))?;
        return validate(doc, target, value, at);
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for s in all {
            validate(doc, s, value, at)?;
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(any) = schema.get(key).and_then(Value::as_array) {
            let fits = any.iter().filter(|s| validate(doc, s, value, at).is_ok()).count();
            if fits == 0 || (key == "oneOf" && fits > 1) {
                return Err(format!("{at}: {fits} of the {key} schemas fit {value}"));
            }
        }
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => return Err(format!("{at}: odd type {t}")),
        };
        if !types.iter().any(|t| is_type(t, value)) {
            return Err(format!("{at}: {value} is not {types:?}"));
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {values:?}"));
    }
    if let Value::Object(map) = value {
        for r in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let r = r.as_str().unwrap();
            if !map.contains_key(r) {
                return Err(format!("{at}: required property {r} missing"));
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, v) in map {
                match props.get(name) {
                    Some(s) => validate(doc, s, v, &format!("{at}.{name}"))?,
                    None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                        return Err(format!("{at}: unexpected property {name}"));
                    }
                    None => {}
                }
            }
        }
    }
    if let (Value::Array(items), Some(s)) = (value, schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            validate(doc, s, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

fn is_type(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        _ => false,
    }
}

/// The document's path template that `path` (no query) matches.
pub fn template<'d>(doc: &'d Value, path: &str) -> Option<&'d str> {
    let segments: Vec<&str> = path.split('/').collect();
    doc["paths"].as_object()?.keys().map(String::as_str).find(|t| {
        let ts: Vec<&str> = t.split('/').collect();
        ts.len() == segments.len()
            && ts.iter().zip(&segments).all(|(t, s)| (t.starts_with('{') && t.ends_with('}')) || t == s)
    })
}

/// Checks one answer against the document: the path and method are documented, the
/// status is among the operation's responses, the content type is the documented one,
/// and the body fits its schema. Panics naming the misfit.
pub fn check(doc: &Value, method: &str, path: &str, status: u16, content_type: &str, body: &str) {
    let path = path.split('?').next().unwrap();
    let t = template(doc, path).unwrap_or_else(|| panic!("{path} is not in the document"));
    let op = &doc["paths"][t][method.to_ascii_lowercase()];
    assert!(op.is_object(), "{method} {t} is not in the document");
    let response = op["responses"]
        .get(status.to_string())
        .unwrap_or_else(|| panic!("{method} {t}: status {status} is not documented"));
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        assert!(body.is_empty(), "{method} {t} {status}: a body where none is documented: {body}");
        return;
    };
    let (media, c) = content.iter().next().unwrap();
    assert_eq!(content_type, media, "{method} {t} {status}: content type");
    let value: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{method} {t} {status}: {e}: {body}"));
    if let Err(e) = validate(doc, &c["schema"], &value, "$") {
        panic!("{method} {t} {status}: the answer does not fit the document: {e}\n{body}");
    }
}

#[test]
fn the_validator_finds_misfits() {
    let doc = serde_json::json!({"components": {"schemas": {
        "A": {"type": "object", "required": ["id", "n"], "properties": {
            "id": {"type": "string"}, "n": {"type": "integer"}, "o": {"type": ["string", "null"]},
            "xs": {"type": "array", "items": {"$ref": "#/components/schemas/B"}}}},
        "B": {"type": "object", "required": ["k"], "properties": {"k": {"type": "boolean"}}}}}});
    let a = serde_json::json!({"$ref": "#/components/schemas/A"});
    let ok = serde_json::json!({"id": "x", "n": 1, "o": null, "xs": [{"k": true}]});
    assert_eq!(validate(&doc, &a, &ok, "$"), Ok(()));
    for bad in [
        serde_json::json!({"id": "x"}),
        serde_json::json!({"id": 1, "n": 1}),
        serde_json::json!({"id": "x", "n": 1.5}),
        serde_json::json!({"id": "x", "n": 1, "o": 3}),
        serde_json::json!({"id": "x", "n": 1, "xs": [{"k": "no"}]}),
        serde_json::json!([]),
    ] {
        assert!(validate(&doc, &a, &bad, "$").is_err(), "{bad}");
    }
}
