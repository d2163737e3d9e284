import RelayCore

extension OrderEvent.Customer {
    /// The raw value of one identity field.
    public subscript(field: IdentityField) -> RawPII? {
        switch field {
        case .email: email
        case .phone: phone
        case .firstName: firstName
        case .lastName: lastName
        case .city: city
        case .state: state
        case .postalCode: postalCode
        case .country: country
        case .dateOfBirth: dateOfBirth
        case .gender: gender
        case .externalID: id
        }
    }
}
