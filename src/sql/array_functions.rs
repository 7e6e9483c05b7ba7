//! Built-in functions and operators on arrays: the `ARRAY[...]` constructor, subscripts,
//! `array_length` / `array_upper` / `array_lower` / `array_ndims` / `array_dims` /
//! `cardinality`, `array_to_string` / `string_to_array`, `array_position(s)`,
//! `array_append` / `array_prepend` / `array_cat` (and `||`), `array_remove` /
//! `array_replace`, and the containment operators `@>`, `<@`, `&&`.
//!
//! Depends on: `sql::types` (the [`Array`] value), `sql::error`.

use super::error::{SqlError, sqlstate};
use super::functions::Function;
use super::types::array_ops::{self, as_array, coerce_element};
use super::types::{Array, DataType, Value};
use std::cmp::Ordering;

/// The result type of array function `function` on `arg_types`, when it is one.
pub fn result_type(function: Function, arg_types: &[DataType]) -> Option<DataType> {
    use Function as F;
    let array_arg = |i: usize| match arg_types.get(i) {
        Some(DataType::Array(e)) => DataType::Array(e.clone()),
        Some(DataType::Unknown) | None => DataType::Array(Box::new(DataType::Text)),
        Some(other) => DataType::Array(Box::new(other.clone())),
    };
    Some(match function {
        F::ArrayLength | F::ArrayUpper | F::ArrayLower | F::ArrayNdims | F::Cardinality => {
            DataType::Int4
        }
        F::ArrayPosition => DataType::Int4,
        F::ArrayPositions => DataType::Array(Box::new(DataType::Int4)),
        F::ArrayDims | F::ArrayToString => DataType::Text,
        F::StringToArray => DataType::Array(Box::new(DataType::Text)),
        F::ArrayAppend | F::ArrayCat | F::ArrayRemove | F::ArrayReplace => array_arg(0),
        F::ArrayPrepend => array_arg(1),
        F::ArrayContains | F::ArrayContainedBy | F::ArrayOverlap => DataType::Bool,
        _ => return None,
    })
}

/// Whether the function returns NULL when any argument is NULL.
pub fn is_strict(function: Function) -> bool {
    use Function as F;
    matches!(
        function,
        F::ArrayLength
            | F::ArrayUpper
            | F::ArrayLower
            | F::ArrayNdims
            | F::ArrayDims
            | F::Cardinality
            | F::ArrayContains
            | F::ArrayContainedBy
            | F::ArrayOverlap
    )
}

fn int_arg(value: &Value) -> Result<Option<i64>, SqlError> {
    match value {
        Value::Null => Ok(None),
        v => match v.cast(&DataType::Int8, false)? {
            Value::Int8(n) => Ok(Some(n)),
            _ => Ok(None),
        },
    }
}

fn int4(n: i64) -> Value {
    i32::try_from(n).map_or(Value::Null, Value::Int4)
}

/// Evaluates array function `function` on evaluated arguments.
pub fn call(function: Function, values: &[Value]) -> Result<Value, SqlError> {
    use Function as F;
    let null = Value::Null;
    let arg = |i: usize| values.get(i).unwrap_or(&null);
    if is_strict(function) && values.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    Ok(match function {
        F::ArrayConstruct => construct(values)?,
        F::ArraySubscript => {
            let Some(array) = as_array(arg(0))? else { return Ok(Value::Null) };
            let mut subscripts = Vec::with_capacity(values.len().saturating_sub(1));
            for v in values.iter().skip(1) {
                match int_arg(v)? {
                    Some(n) => subscripts.push(n),
                    None => return Ok(Value::Null),
                }
            }
            array.element_at(&subscripts).cloned().unwrap_or(Value::Null)
        }
        F::ArrayLength | F::ArrayUpper | F::ArrayLower => {
            let Some(array) = as_array(arg(0))? else { return Ok(Value::Null) };
            let dim = int_arg(arg(1))?.unwrap_or(1);
            match (array.length(dim), array.lower(dim)) {
                (Some(length), Some(lower)) => match function {
                    F::ArrayLength => Value::Int4(length),
                    F::ArrayLower => Value::Int4(lower),
                    _ => int4(i64::from(lower) + i64::from(length) - 1),
                },
                _ => Value::Null,
            }
        }
        F::ArrayNdims => match as_array(arg(0))? {
            Some(a) if a.ndims() > 0 => int4(a.ndims() as i64),
            _ => Value::Null,
        },
        F::ArrayDims => match as_array(arg(0))? {
            Some(a) if a.ndims() > 0 => {
                let mut out = String::new();
                for d in &a.dims {
                    let upper = i64::from(d.lower) + i64::from(d.length) - 1;
                    out.push_str(&format!("[{}:{}]", d.lower, upper));
                }
                Value::Text(out)
            }
            _ => Value::Null,
        },
        F::Cardinality => match as_array(arg(0))? {
            Some(a) => int4(a.elements.len() as i64),
            None => Value::Null,
        },
        F::ArrayToString => {
            let (Some(array), Value::Text(delimiter)) = (as_array(arg(0))?, arg(1)) else {
                return Ok(Value::Null);
            };
            let null_text = match arg(2) {
                Value::Null => None,
                v => Some(v.to_text()),
            };
            let mut parts = Vec::with_capacity(array.elements.len());
            for element in &array.elements {
                match (element, &null_text) {
                    (Value::Null, None) => {}
                    (Value::Null, Some(text)) => parts.push(text.clone()),
                    (value, _) => parts.push(value.to_text()),
                }
            }
            Value::Text(parts.join(delimiter))
        }
        F::StringToArray => {
            let Value::Text(text) = arg(0) else { return Ok(Value::Null) };
            let null_text = match arg(2) {
                Value::Null => None,
                v => Some(v.to_text()),
            };
            let pieces: Vec<String> = match arg(1) {
                Value::Null => text.chars().map(String::from).collect(),
                delimiter => {
                    let delimiter = delimiter.to_text();
                    if text.is_empty() {
                        Vec::new()
                    } else if delimiter.is_empty() {
                        vec![text.clone()]
                    } else {
                        text.split(delimiter.as_str()).map(str::to_string).collect()
                    }
                }
            };
            let elements = pieces
                .into_iter()
                .map(|p| {
                    if null_text.as_deref() == Some(p.as_str()) {
                        Value::Null
                    } else {
                        Value::Text(p)
                    }
                })
                .collect();
            Value::Array(Box::new(Array::new(DataType::Text, elements)))
        }
        F::ArrayPosition | F::ArrayPositions => {
            let Some(array) = as_array(arg(0))? else { return Ok(Value::Null) };
            if array.ndims() > 1 {
                return Err(SqlError::new(
                    sqlstate::FEATURE_NOT_SUPPORTED,
                    "searching for elements in multidimensional arrays is not supported",
                ));
            }
            let needle = coerce_element(arg(1), &array.element_type)?;
            let start = int_arg(arg(2))?.unwrap_or(1);
            let lower = i64::from(array.dims.first().map_or(1, |d| d.lower));
            let mut hits = Vec::new();
            for (i, element) in array.elements.iter().enumerate() {
                let subscript = lower + i as i64;
                if subscript < start {
                    continue;
                }
                // IS NOT DISTINCT FROM: a NULL needle finds NULL elements.
                let same = match (element, &needle) {
                    (Value::Null, Value::Null) => true,
                    (Value::Null, _) | (_, Value::Null) => false,
                    (e, n) => e.sql_cmp(n)? == Some(Ordering::Equal),
                };
                if same {
                    if function == F::ArrayPosition {
                        return Ok(int4(subscript));
                    }
                    hits.push(int4(subscript));
                }
            }
            if function == F::ArrayPosition {
                Value::Null
            } else {
                Value::Array(Box::new(Array::new(DataType::Int4, hits)))
            }
        }
        F::ArrayAppend => array_ops::append(arg(0), arg(1))?,
        F::ArrayPrepend => array_ops::prepend(arg(0), arg(1))?,
        F::ArrayCat => array_ops::cat(arg(0), arg(1))?,
        F::ArrayRemove | F::ArrayReplace => {
            let Some(array) = as_array(arg(0))? else { return Ok(Value::Null) };
            if array.ndims() > 1 {
                return Err(SqlError::new(
                    sqlstate::FEATURE_NOT_SUPPORTED,
                    "removing elements from multidimensional arrays is not supported",
                ));
            }
            let needle = coerce_element(arg(1), &array.element_type)?;
            let replacement = if function == F::ArrayReplace {
                Some(coerce_element(arg(2), &array.element_type)?)
            } else {
                None
            };
            let mut elements = Vec::with_capacity(array.elements.len());
            for element in &array.elements {
                let same = match (element, &needle) {
                    (Value::Null, Value::Null) => true,
                    (Value::Null, _) | (_, Value::Null) => false,
                    (e, n) => e.sql_cmp(n)? == Some(Ordering::Equal),
                };
                match (&replacement, same) {
                    (_, false) => elements.push(element.clone()),
                    (Some(r), true) => elements.push(r.clone()),
                    (None, true) => {}
                }
            }
            let mut result = Array::new(array.element_type.clone(), elements);
            if let (Some(first), Some(dim)) = (array.dims.first(), result.dims.first_mut()) {
                dim.lower = first.lower;
            }
            Value::Array(Box::new(result))
        }
        F::ArrayContains | F::ArrayContainedBy | F::ArrayOverlap => {
            let (Some(a), Some(b)) = (as_array(arg(0))?, as_array(arg(1))?) else {
                return Ok(Value::Null);
            };
            let contains = |outer: &Array, inner: &Array| -> Result<bool, SqlError> {
                for needle in &inner.elements {
                    if !member(outer, needle)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            };
            Value::Bool(match function {
                F::ArrayContains => contains(a, b)?,
                F::ArrayContainedBy => contains(b, a)?,
                _ => {
                    let mut overlap = false;
                    for needle in &b.elements {
                        if member(a, needle)? {
                            overlap = true;
                            break;
                        }
                    }
                    overlap
                }
            })
        }
        other => return Err(SqlError::internal(format!("{other:?} is not an array function"))),
    })
}

/// Whether `needle` equals some element (NULLs never match, as in `@>`).
fn member(array: &Array, needle: &Value) -> Result<bool, SqlError> {
    if needle.is_null() {
        return Ok(false);
    }
    for element in &array.elements {
        if !element.is_null() && element.sql_cmp(needle)? == Some(Ordering::Equal) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The `ARRAY[...]` constructor: elements, or sub-arrays of equal dimensions.
fn construct(values: &[Value]) -> Result<Value, SqlError> {
    let element_type = values.iter().find_map(|v| match v {
        Value::Array(a) => Some(a.element_type.clone()),
        Value::Null => None,
        other => other.data_type(),
    });
    let element_type = element_type.unwrap_or(DataType::Unknown);
    if values.iter().any(|v| matches!(v, Value::Array(_))) {
        let mut parts = Vec::with_capacity(values.len());
        for v in values {
            match v {
                Value::Array(a) => parts.push((**a).clone()),
                Value::Null => parts.push(Array::new(element_type.clone(), Vec::new())),
                _ => {
                    return Err(SqlError::new(
                        sqlstate::ARRAY_SUBSCRIPT_ERROR,
                        "multidimensional arrays must have array expressions with matching dimensions",
                    ));
                }
            }
        }
        return Ok(Value::Array(Box::new(Array::from_subarrays(element_type, parts)?)));
    }
    Ok(Value::Array(Box::new(Array::new(element_type, values.to_vec()))))
}
