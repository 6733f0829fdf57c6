from brisk.training.workflow import Workflow

METRICS = ["MAE", "R2", "CCC"]
CV_METRICS = ["MAE", "R2"]


class Fixture(Workflow):
    def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
        self.model.fit(X_train, y_train)
        self.evaluate_model(self.model, X_test, y_test, METRICS, "test_scores")
        self.evaluate_model(self.model, X_train, y_train, METRICS, "train_scores")
        if CV_METRICS:
            self.evaluate_model_cv(self.model, X_train, y_train, CV_METRICS, "cv_scores", cv=3)
