"""Status bodies for invalid objects: the summary names each field, the causes carry the
field beside a message without it (as Kubernetes' field.Error.ErrorBody)."""

from kubelite.api import errors


def test_invalid_object_causes_do_not_repeat_the_field_path():
    err = errors.invalid_object(
        "Event",
        "",
        "x.1",
        [
            errors.FieldError(
                "involvedObject.namespace", "FieldValueInvalid", "does not match event.namespace", "", True
            )
        ],
    )
    status = err.status()
    assert status["message"] == (
        'Event "x.1" is invalid: involvedObject.namespace: Invalid value: "": does not match event.namespace'
    )
    assert status["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "field": "involvedObject.namespace",
            "message": 'Invalid value: "": does not match event.namespace',
        }
    ]


def test_required_fields_have_no_value_in_the_cause():
    cause = errors.FieldError("spec.selector", "FieldValueRequired").cause()
    assert cause["message"] == "Required value"
