from brisk.training.workflow import Workflow

METRICS = ["MAE", "R2", "CCC"]


class Fixture(Workflow):
    def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
        self.model.fit(X_train, y_train)
        self.evaluate_model(self.model, X_test, y_test, METRICS, "test_scores")
        if hasattr(self, "model2"):
            self.model2.fit(X_train, y_train)
            self.evaluate_model(self.model2, X_test, y_test, METRICS, "model2_scores")
            self.compare_models(self.model, self.model2, X=X_test, y=y_test, metrics=METRICS,
                                filename="comparison", calculate_diff=True)
