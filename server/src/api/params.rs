//! The lists read their parameters in [`app::lists`]; the OpenAPI document
//! declares them on the handlers. This checks that the two agree.

#[cfg(test)]
mod tests {
    use utoipa::IntoParams;
    use utoipa::openapi::path::ParameterIn;

    use crate::api::developers::DeveloperQuery;
    use crate::api::reports::{ItemsQuery, ReportQuery};
    use crate::api::repositories::RepositoryQuery;

    fn names<P: IntoParams>() -> Vec<String> {
        P::into_params(|| Some(ParameterIn::Query))
            .into_iter()
            .map(|p| p.name)
            .collect()
    }

    #[test]
    fn the_documented_parameters_are_the_ones_the_lists_take() {
        assert_eq!(names::<DeveloperQuery>(), app::lists::DEVELOPER_PARAMS);
        assert_eq!(names::<RepositoryQuery>(), app::lists::REPOSITORY_PARAMS);
        let mut report = vec!["r".to_owned()];
        report.extend(names::<ReportQuery>());
        assert_eq!(report, model::report::ReportParams::NAMES);
        assert_eq!(names::<ItemsQuery>(), app::server_fns::reports::ITEM_PARAMS);
    }
}
