//! Array concatenation (`||`, `array_cat`, `array_append`, `array_prepend`) with
//! PostgreSQL's rules for dimensions and lower bounds.

use super::array::{Array, ArrayDim, MAX_DIMENSIONS};
use super::value::{DataType, Value};
use crate::sql::error::{SqlError, sqlstate};

/// The array in `value` (None for NULL); 42804 for any other type.
pub fn as_array(value: &Value) -> Result<Option<&Array>, SqlError> {
    match value {
        Value::Null => Ok(None),
        Value::Array(a) => Ok(Some(a)),
        other => Err(SqlError::new(
            sqlstate::DATATYPE_MISMATCH,
            format!("argument of type {} is not an array", other.type_name()),
        )),
    }
}

/// `value` as an element of an array of `element_type` (NULL stays NULL).
pub fn coerce_element(value: &Value, element_type: &DataType) -> Result<Value, SqlError> {
    match value.data_type() {
        None => Ok(Value::Null),
        Some(t) if t == *element_type => Ok(value.clone()),
        Some(_) => value.cast(element_type, false),
    }
}

/// `array_append`.
pub fn append(array: &Value, element: &Value) -> Result<Value, SqlError> {
    concat(array, &ElementOrArray::Element(element))
}

/// `array_cat`.
pub fn cat(left: &Value, right: &Value) -> Result<Value, SqlError> {
    concat(left, &ElementOrArray::Array(right))
}

/// The right operand of an array concatenation.
enum ElementOrArray<'a> {
    Element(&'a Value),
    Array(&'a Value),
}

/// `||` when either side is an array: array_cat, array_append or array_prepend.
pub fn concat_operator(left: &Value, right: &Value) -> Result<Value, SqlError> {
    match (left, right) {
        (Value::Array(_) | Value::Null, Value::Array(_)) => {
            concat(left, &ElementOrArray::Array(right))
        }
        (Value::Array(_), Value::Null) => Ok(left.clone()),
        (Value::Array(a), Value::Text(s))
            if a.element_type != DataType::Text && s.starts_with('{') =>
        {
            let parsed = Value::parse_text(&DataType::Array(Box::new(a.element_type.clone())), s)?;
            concat(left, &ElementOrArray::Array(&parsed))
        }
        (Value::Array(_), _) => concat(left, &ElementOrArray::Element(right)),
        (_, Value::Array(_)) => prepend(left, right),
        _ => Err(SqlError::internal("array concatenation without an array")),
    }
}

fn incompatible(detail: String) -> SqlError {
    SqlError::new(sqlstate::ARRAY_SUBSCRIPT_ERROR, "cannot concatenate incompatible arrays")
        .with_detail(detail)
}

/// `array || element` or `array || array`.
fn concat(left: &Value, right: &ElementOrArray<'_>) -> Result<Value, SqlError> {
    let left_array = as_array(left)?;
    match right {
        ElementOrArray::Element(element) => {
            let Some(array) = left_array else {
                let element_type = element.data_type().unwrap_or(DataType::Text);
                return Ok(Value::Array(Box::new(Array::new(
                    element_type,
                    vec![(*element).clone()],
                ))));
            };
            if array.ndims() > 1 {
                return Err(SqlError::new(
                    sqlstate::DATATYPE_MISMATCH,
                    "argument must be empty or one-dimensional array",
                ));
            }
            let element = coerce_element(element, &array.element_type)?;
            let mut result = (*array).clone();
            result.elements.push(element);
            match result.dims.first_mut() {
                Some(dim) => dim.length = dim.length.saturating_add(1),
                None => result.dims.push(ArrayDim { length: 1, lower: 1 }),
            }
            Ok(Value::Array(Box::new(result)))
        }
        ElementOrArray::Array(other) => {
            let right_array = as_array(other)?;
            let (a, b) = match (left_array, right_array) {
                (None, None) => return Ok(Value::Null),
                (Some(a), None) => return Ok(Value::Array(Box::new(a.clone()))),
                (None, Some(b)) => return Ok(Value::Array(Box::new(b.clone()))),
                (Some(a), Some(b)) => (a, b),
            };
            if b.elements.is_empty() && b.ndims() == 0 {
                return Ok(Value::Array(Box::new(a.clone())));
            }
            if a.elements.is_empty() && a.ndims() == 0 {
                let b = if b.element_type == a.element_type {
                    b.clone()
                } else {
                    b.cast_elements(&a.element_type, false)?
                };
                return Ok(Value::Array(Box::new(b)));
            }
            let b = if b.element_type == a.element_type {
                b.clone()
            } else {
                b.cast_elements(&a.element_type, false)?
            };
            let mut result = a.clone();
            if a.ndims() == b.ndims() {
                if a.dims.iter().skip(1).map(|d| d.length).ne(b
                    .dims
                    .iter()
                    .skip(1)
                    .map(|d| d.length))
                {
                    return Err(incompatible(
                        "Arrays with differing element dimensions are not compatible for concatenation."
                            .to_string(),
                    ));
                }
                if let (Some(dim), Some(other)) = (result.dims.first_mut(), b.dims.first()) {
                    dim.length = dim.length.saturating_add(other.length);
                }
                result.elements.extend(b.elements);
            } else if a.ndims() == b.ndims() + 1 {
                if a.dims.iter().skip(1).map(|d| d.length).ne(b.dims.iter().map(|d| d.length)) {
                    return Err(incompatible(
                        "Arrays with differing dimensions are not compatible for concatenation."
                            .to_string(),
                    ));
                }
                if let Some(dim) = result.dims.first_mut() {
                    dim.length = dim.length.saturating_add(1);
                }
                result.elements.extend(b.elements);
            } else if a.ndims() + 1 == b.ndims() {
                if b.dims.iter().skip(1).map(|d| d.length).ne(a.dims.iter().map(|d| d.length)) {
                    return Err(incompatible(
                        "Arrays with differing dimensions are not compatible for concatenation."
                            .to_string(),
                    ));
                }
                let mut elements = a.elements.clone();
                elements.extend(b.elements);
                let mut dims = b.dims.clone();
                if let Some(dim) = dims.first_mut() {
                    dim.length = dim.length.saturating_add(1);
                }
                result = Array { element_type: a.element_type.clone(), dims, elements };
            } else {
                return Err(incompatible(format!(
                    "Arrays of {} and {} dimensions are not compatible for concatenation.",
                    a.ndims(),
                    b.ndims()
                )));
            }
            if result.ndims() > MAX_DIMENSIONS {
                return Err(incompatible("Too many dimensions.".to_string()));
            }
            Ok(Value::Array(Box::new(result)))
        }
    }
}

/// `element || array` (array_prepend): the lower bound stays that of the array.
pub fn prepend(element: &Value, array: &Value) -> Result<Value, SqlError> {
    let Some(array) = as_array(array)? else {
        let element_type = element.data_type().unwrap_or(DataType::Text);
        return Ok(Value::Array(Box::new(Array::new(element_type, vec![element.clone()]))));
    };
    if array.ndims() > 1 {
        return Err(SqlError::new(
            sqlstate::DATATYPE_MISMATCH,
            "argument must be empty or one-dimensional array",
        ));
    }
    let element = coerce_element(element, &array.element_type)?;
    let mut elements = Vec::with_capacity(array.elements.len() + 1);
    elements.push(element);
    elements.extend(array.elements.iter().cloned());
    let lower = array.dims.first().map_or(1, |d| d.lower);
    let mut result = Array::new(array.element_type.clone(), elements);
    if let Some(dim) = result.dims.first_mut() {
        dim.lower = lower;
    }
    Ok(Value::Array(Box::new(result)))
}
