from brisk.training.workflow import Workflow

METRICS = ["explained_variance_score", "max_error", "MAE", "MAPE", "mean_pinball_loss", "MSE", "mean_squared_log_error", "median_absolute_error", "R2", "RMSE", "root_mean_squared_log_error", "CCC", "NegMAE"]
CV_METRICS = ["MAE", "R2", "CCC"]


class Fixture(Workflow):
    def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
        self.model.fit(X_train, y_train)
        self.evaluate_model(self.model, X_test, y_test, METRICS, "test_scores")
        self.evaluate_model(self.model, X_train, y_train, METRICS, "train_scores")
        if CV_METRICS:
            self.evaluate_model_cv(self.model, X_train, y_train, CV_METRICS, "cv_scores", cv=3)
