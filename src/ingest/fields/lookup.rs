//! Reading a value by path: JSON pointers, dotted paths and plain keys.

use serde_json::Value;

/// First string value among candidate paths (dotted, e.g. `metadata.task_id`).
pub fn first_str(v: &Value, paths: &[&str]) -> Option<String> {
    paths.iter().find_map(|p| {
        let x = lookup(v, p)?;
        match x {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    })
}

/// Resolve a JSON pointer (`/a/b`) or a dotted path (`a.b`) or a plain key.
pub fn lookup<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    if path.starts_with('/') {
        return v.pointer(path);
    }
    if let Some(x) = v.get(path) {
        return Some(x);
    }
    // Every line is asked for the outcome keys: a plain key that is absent
    // needs no second walk.
    if !path.contains('.') {
        return None;
    }
    let mut cur = v;
    for part in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// First string among `paths` on the bodies, then on the wrapper lines.
pub fn str_from(lines: &[&Value], bodies: &[&Value], paths: &[&str]) -> Option<String> {
    bodies.iter().chain(lines).find_map(|v| first_str(v, paths))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lookup_pointer_dotted_and_plain() {
        let v = json!({"metadata": {"task_id": "t1"}, "a.b": 1, "arr": [{"x": 2}]});
        assert_eq!(lookup(&v, "/metadata/task_id"), Some(&json!("t1")));
        assert_eq!(lookup(&v, "metadata.task_id"), Some(&json!("t1")));
        assert_eq!(lookup(&v, "a.b"), Some(&json!(1)));
        assert_eq!(lookup(&v, "arr.0.x"), Some(&json!(2)));
    }
}
