//! Services and clients over the REST API: validation, search, detail and tenant isolation.

use super::*;

#[tokio::test]
async fn services_crud_validation_and_tenant_isolation() {
    let (db, server) = demo_server(&[]).await;
    let sever = as_user(&server, "admin@sever.demo").await;
    let garage = as_user(&server, "admin@garage24.demo").await;
    let manager = as_user(&server, "manager@sever.demo").await;

    let (status, list) = sever.get("/api/v1/services?limit=5").await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 5);
    let (_, all) = sever.get("/api/v1/services").await;
    assert_eq!(all.as_array().unwrap().len(), 23);

    let (status, created) = sever
        .post(
            "/api/v1/services",
            json!({"name": "Мойка двигателя", "category": "wash", "price": 1500.5, "duration_minutes": 40}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["price"], 1500.5);
    assert_eq!(created["is_active"], true);
    let id = created["id"].as_i64().unwrap();

    for bad in [
        json!({"name": "X", "price": -1, "duration_minutes": 10}),
        json!({"name": "", "price": 1, "duration_minutes": 10}),
        json!({"name": "X", "price": 1, "duration_minutes": 0}),
        json!({"name": "X", "price": "дорого", "duration_minutes": 10}),
        json!({"name": "X", "price": 1, "duration_minutes": 10, "colour": "red"}),
        json!({"name": "X", "price": 1, "duration_minutes": 10, "shop_id": 999999}),
    ] {
        let (status, body) = sever.post("/api/v1/services", bad.clone()).await;
        assert_eq!(status, 422, "{bad} → {body}");
        assert!(body["detail"].is_array(), "{body}");
    }
    assert_eq!(
        manager
            .post(
                "/api/v1/services",
                json!({"name": "M", "price": 1, "duration_minutes": 5})
            )
            .await
            .0,
        403
    );
    assert_eq!(sever.get("/api/v1/services?limit=0").await.0, 422);
    assert_eq!(sever.get("/api/v1/services/abc").await.0, 422);

    let (status, patched) = sever
        .patch(&format!("/api/v1/services/{id}"), json!({"price": 1700}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(patched["price"], 1700.0);
    assert_eq!(patched["name"], "Мойка двигателя");

    // Another company: 404 for read, change and delete; never in its lists.
    assert_eq!(garage.get(&format!("/api/v1/services/{id}")).await.0, 404);
    assert_eq!(
        garage
            .patch(&format!("/api/v1/services/{id}"), json!({"price": 1}))
            .await
            .0,
        404
    );
    assert_eq!(
        garage.delete(&format!("/api/v1/services/{id}")).await.0,
        404
    );
    let (_, theirs) = garage.get("/api/v1/services?limit=1000").await;
    assert!(theirs
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["id"] != id && s["tenant_id"] != created["tenant_id"]));
    assert_eq!(
        sever.get(&format!("/api/v1/services/{id}")).await.1["price"],
        1700.0
    );

    let (status, _) = sever.delete(&format!("/api/v1/services/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(sever.get(&format!("/api/v1/services/{id}")).await.0, 404);
    drop(server);
    db.drop().await;
}

#[tokio::test]
async fn clients_search_detail_and_tenant_isolation() {
    let (db, server) = demo_server(&[]).await;
    let sever = as_user(&server, "admin@sever.demo").await;
    let garage = as_user(&server, "admin@garage24.demo").await;

    let (status, created) = sever
        .post(
            "/api/v1/clients/",
            json!({"full_name": "Тестов Тест", "phone": "8 (999) 123-45-67", "notes": "VIP",
                   "vehicles": [{"make": "Kia", "model": "Rio", "plate": "х 777 хх 77"}]}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["phone"], "+79991234567");
    let id = created["id"].as_i64().unwrap();

    for query in ["тестов", "1234567", "Х777ХХ", "x 777"] {
        let (status, found) = sever
            .get(&format!("/api/v1/clients?search={}", urlencode(query)))
            .await;
        assert_eq!(status, 200);
        let ids: Vec<i64> = found
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        if query == "x 777" {
            // Latin x is not Cyrillic х: no match is the honest answer.
            assert!(!ids.contains(&id));
        } else {
            assert!(ids.contains(&id), "search {query:?} → {found}");
        }
    }
    let (status, detail) = sever.get(&format!("/api/v1/clients/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(detail["vehicles"][0]["plate"], "Х777ХХ77");
    assert!(detail["appointments"].as_array().unwrap().is_empty());

    // A demo client with visits shows them.
    let (_, some) = sever.get("/api/v1/clients?limit=1000").await;
    let mut with_history = 0;
    for c in some.as_array().unwrap().iter().take(10) {
        let (_, d) = sever.get(&format!("/api/v1/clients/{}", c["id"])).await;
        with_history += usize::from(!d["appointments"].as_array().unwrap().is_empty());
    }
    assert!(with_history > 0);

    assert_eq!(
        sever
            .post(
                "/api/v1/clients",
                json!({"full_name": "Дубль", "phone": "+79991234567"})
            )
            .await
            .0,
        409
    );
    assert_eq!(
        sever
            .post("/api/v1/clients", json!({"full_name": "X", "phone": "12"}))
            .await
            .0,
        422
    );

    let (status, patched) = sever
        .patch(
            &format!("/api/v1/clients/{id}"),
            json!({"notes": "Звонить после 18"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(patched["notes"], "Звонить после 18");

    assert_eq!(garage.get(&format!("/api/v1/clients/{id}")).await.0, 404);
    assert_eq!(
        garage
            .patch(&format!("/api/v1/clients/{id}"), json!({"notes": "x"}))
            .await
            .0,
        404
    );
    let (_, found) = garage.get("/api/v1/clients?search=Тестов").await;
    assert!(found.as_array().unwrap().is_empty());
    // The same phone is free in another company.
    assert_eq!(
        garage
            .post(
                "/api/v1/clients",
                json!({"full_name": "Другой", "phone": "+79991234567"})
            )
            .await
            .0,
        201
    );
    drop(server);
    db.drop().await;
}
